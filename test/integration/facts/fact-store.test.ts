import { describe, expect, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { createFactStore } from '../../../src/facts/fact-store.js'
import { explainFact } from '../../../src/facts/explain.js'
import { MAX_FACT_CONTENT_LENGTH } from '../../../src/facts/fact-input.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { BACKENDS_AND_CITUS } from '../../helpers/databases.js'
import { useFactStore } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { at, embedder, seedSession, userMessage } from './fixtures.js'
import { describeEachSetup } from '../../helpers/services.js'

describeEachSetup(BACKENDS_AND_CITUS)('FactStore (%s)', (backend) => {
  const ctx = useFactStore(backend)

  async function events(factId: string) {
    return ctx.handle.db.selectFrom('fact_events').selectAll().where('fact_id', '=', factId).orderBy('id').execute()
  }

  it('adds a fact with its sources and an added event carrying the job metadata', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['I prefer TypeScript over Python'])
    const meta = { jobId: 'job-1', extractor: 'rules-v1', model: 'none' }
    const fact = await ctx.store.add({ userId, content: 'Prefers TypeScript', kind: 'preference', key: 'language', sources, meta })
    expect(fact).toMatchObject({ userId, namespace: 'default', content: 'Prefers TypeScript', kind: 'preference', key: 'language', status: 'active', confidence: 1, validTo: null, supersededBy: null })
    expect(fact.validFrom).toBeInstanceOf(Date)
    expect(await ctx.store.get({ userId, id: fact.id })).toEqual(fact)
    const [added] = await events(fact.id)
    expect(added).toMatchObject({ event_type: 'added', job_id: 'job-1', extractor: 'rules-v1', model: 'none', user_id: userId })
    expect(added?.after).toMatchObject({ content: 'Prefers TypeScript', sources })
    const linked = await ctx.handle.db.selectFrom('fact_sources').select(['message_id', 'session_id']).where('fact_id', '=', fact.id).execute()
    expect(linked.map((l) => ({ sessionId: l.session_id, messageId: Number(l.message_id) }))).toEqual(sources)
  })

  it('lists with kind, status, since and limit filters, newest first', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['facts'])
    const a = await ctx.store.add({ userId, content: 'Lives in Berlin', kind: 'profile', sources })
    const b = await ctx.store.add({ userId, content: 'Likes tea', kind: 'preference', sources })
    const c = await ctx.store.add({ userId, content: 'Owns a cat', kind: 'profile', sources })
    await ctx.store.retract({ userId, id: b.id })
    expect((await ctx.store.list({ userId })).map((f) => f.id)).toEqual([c.id, a.id])
    expect((await ctx.store.list({ userId, kind: 'profile', limit: 1 })).map((f) => f.id)).toEqual([c.id])
    expect((await ctx.store.list({ userId, status: 'retracted' })).map((f) => f.id)).toEqual([b.id])
    expect(await ctx.store.list({ userId, status: ['active', 'retracted'] })).toHaveLength(3)
    expect(await ctx.store.list({ userId, since: new Date(Date.now() + 60_000) })).toEqual([])
    expect(await ctx.store.list({ userId, namespace: 'other' })).toEqual([])
  })

  it('updates in place, re-embeds new content and logs before and after', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['deploys to hetzner'])
    const fact = await ctx.store.add({ userId, content: 'Deploys to Hetzner', sources })
    const updated = await ctx.store.update({ userId, id: fact.id, content: 'Deploys to Hetzner eu-central', confidence: 0.8, reason: 'more precise' })
    expect(updated).toMatchObject({ id: fact.id, content: 'Deploys to Hetzner eu-central', confidence: expect.closeTo(0.8, 5) })
    const row = await ctx.handle.db.selectFrom('facts').select((eb) => eb.ref('embedding').as('e')).where('id', '=', fact.id).executeTakeFirstOrThrow()
    const [expected] = await embedder.embed(['Deploys to Hetzner eu-central'])
    expect(JSON.parse(String(row.e))[0]).toBeCloseTo(at(expected ?? [], 0), 5)
    const log = await events(fact.id)
    expect(log.map((e) => e.event_type)).toEqual(['added', 'updated'])
    expect(at(log, 1)).toMatchObject({ reason: 'more precise', before: { content: 'Deploys to Hetzner' }, after: { content: 'Deploys to Hetzner eu-central' } })
    expect(await ctx.store.update({ userId, id: fact.id, content: 'Deploys to Hetzner eu-central' })).toEqual(updated)
    expect(await events(fact.id)).toHaveLength(2)
  })

  it('supersedes: the old fact closes and points at the new one, both keep their sources', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['I live in Berlin', 'I moved to Lisbon'])
    const old = await ctx.store.add({ userId, content: 'Lives in Berlin', key: 'home_city', sources: [at(sources, 0)] })
    const { previous, current } = await ctx.store.supersede({
      userId,
      id: old.id,
      fact: { content: 'Lives in Lisbon', key: 'home_city', sources: [at(sources, 1)] },
      meta: { jobId: 'job-2' },
      reason: 'user moved',
    })
    expect(previous).toMatchObject({ id: old.id, status: 'superseded', supersededBy: current.id })
    expect(previous.validTo?.getTime()).toBe(current.validFrom.getTime())
    expect(current).toMatchObject({ status: 'active', content: 'Lives in Lisbon' })
    expect((await events(old.id)).map((e) => [e.event_type, e.job_id])).toEqual([['added', null], ['superseded', 'job-2']])
    expect((await events(current.id)).map((e) => e.event_type)).toEqual(['added'])
    const why = await explainFact(ctx.handle, old.id, { userId })
    expect(why.sources.map((s) => s.text)).toEqual(['I live in Berlin'])
    await expect(ctx.store.supersede({ userId, id: old.id, fact: { content: 'x', sources } })).rejects.toMatchObject({ code: 'invalid_argument' })
  })

  it('adds sources once and logs source_added', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['I like tea', 'Tea, really'])
    const fact = await ctx.store.add({ userId, content: 'Likes tea', sources: [at(sources, 0)] })
    const { added } = await ctx.store.addSources({ userId, id: fact.id, sources })
    expect(added).toEqual([at(sources, 1)])
    expect((await ctx.store.addSources({ userId, id: fact.id, sources })).added).toEqual([])
    expect((await events(fact.id)).map((e) => e.event_type)).toEqual(['added', 'source_added'])
  })

  it('retracts (content kept) and forgets (content, key and embedding scrubbed, history redacted)', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['my password hint is rosebud'])
    const r = await ctx.store.add({ userId, content: 'Was wrong about tea', sources })
    expect(await ctx.store.retract({ userId, id: r.id, reason: 'wrong' })).toMatchObject({ status: 'retracted', content: 'Was wrong about tea' })
    expect((await ctx.store.retract({ userId, id: r.id })).status).toBe('retracted')
    expect((await events(r.id)).map((e) => e.event_type)).toEqual(['added', 'retracted'])

    const f = await ctx.store.add({ userId, content: 'Password hint is rosebud', key: 'password_hint', sources })
    await ctx.store.update({ userId, id: f.id, content: 'Password hint is rosebud!' })
    const forgotten = await ctx.store.forget({ userId, id: f.id, reason: 'user asked' })
    expect(forgotten).toMatchObject({ status: 'forgotten', content: '', key: null })
    expect(forgotten.validTo).toBeInstanceOf(Date)
    const row = await ctx.handle.db.selectFrom('facts').select(['embedding', 'content']).where('id', '=', f.id).executeTakeFirstOrThrow()
    expect(row).toEqual({ embedding: null, content: '' })
    const log = await events(f.id)
    expect(log.map((e) => e.event_type)).toEqual(['added', 'updated', 'forgotten'])
    expect(JSON.stringify(log)).not.toContain('rosebud')
    expect(JSON.stringify(log)).not.toContain('password_hint')
    expect(await ctx.store.forget({ userId, id: f.id })).toEqual(forgotten)
  })

  describe('guards', () => {
    it('refuses a fact without sources, blank or oversize content, blank ids', async () => {
      const userId = uniqueId('user')
      const { sources } = await seedSession(ctx.handle, userId, ['hi'])
      await expect(ctx.store.add({ userId, content: 'x', sources: [] })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(ctx.store.add({ userId, content: '  ', sources })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(ctx.store.add({ userId, content: 'x'.repeat(MAX_FACT_CONTENT_LENGTH + 1), sources })).rejects.toMatchObject({ code: 'content_too_large' })
      await expect(ctx.store.add({ userId: ' ', content: 'x', sources })).rejects.toMatchObject({ code: 'empty_id' })
      await expect(ctx.store.add({ userId, namespace: '', content: 'x', sources })).rejects.toMatchObject({ code: 'empty_id' })
      await expect(ctx.store.add({ userId, content: 'x', sources, confidence: 2 })).rejects.toMatchObject({ code: 'invalid_argument' })
      expect(await ctx.store.list({ userId })).toEqual([])
    })

    it("refuses sources from another user's session, a missing message and a session without user", async () => {
      const userId = uniqueId('user')
      const other = await seedSession(ctx.handle, uniqueId('other'), ['not yours'])
      await expect(ctx.store.add({ userId, content: 'x', sources: other.sources })).rejects.toMatchObject({ code: 'not_found' })
      const mine = await seedSession(ctx.handle, userId, ['mine'])
      const wrongSession = [{ sessionId: at(other.sources, 0).sessionId, messageId: at(mine.sources, 0).messageId }]
      await expect(ctx.store.add({ userId, content: 'x', sources: wrongSession })).rejects.toMatchObject({ code: 'not_found' })
      await expect(ctx.store.add({ userId, content: 'x', sources: [{ sessionId: 's', messageId: 9_999_999_999 }] })).rejects.toMatchObject({ code: 'not_found' })
      const anonymous = new PostgresSession({ sessionId: uniqueId('anon'), db: ctx.handle })
      await anonymous.addItems([userMessage('who am I')])
      const [row] = await ctx.handle.db.selectFrom('agent_messages').select('id').where('session_id', '=', await anonymous.getSessionId()).execute()
      await expect(ctx.store.add({ userId, content: 'x', sources: [{ sessionId: await anonymous.getSessionId(), messageId: Number(row?.id) }] })).rejects.toMatchObject({ code: 'unknown_user' })
      expect(await ctx.store.list({ userId, status: ['active', 'retracted'] })).toEqual([])
    })

    it("answers not_found for unknown ids, malformed ids and another user's or namespace's fact", async () => {
      const owner = uniqueId('user')
      const { sources } = await seedSession(ctx.handle, owner, ['secret'])
      const fact = await ctx.store.add({ userId: owner, content: 'Secret plan', sources })
      const intruder = uniqueId('user')
      const calls = [
        () => ctx.store.get({ userId: intruder, id: fact.id }),
        () => ctx.store.get({ userId: owner, namespace: 'other', id: fact.id }),
        () => ctx.store.get({ userId: owner, id: '00000000-0000-0000-0000-000000000000' }),
        () => ctx.store.get({ userId: owner, id: "'; drop table facts; --" }),
        () => ctx.store.update({ userId: intruder, id: fact.id, content: 'hijacked' }),
        () => ctx.store.retract({ userId: intruder, id: fact.id }),
        () => ctx.store.forget({ userId: intruder, id: fact.id }),
        () => ctx.store.addSources({ userId: intruder, id: fact.id, sources }),
        () => ctx.store.supersede({ userId: intruder, id: fact.id, fact: { content: 'x', sources } }),
        () => explainFact(ctx.handle, fact.id, { userId: intruder }),
      ]
      for (const call of calls) await expect(call()).rejects.toMatchObject({ code: 'not_found' })
      expect(await ctx.store.get({ userId: owner, id: fact.id })).toEqual(fact)
    })

    it('fails at creation when the embedder dimension differs from the database', async () => {
      await expect(createFactStore({ db: ctx.handle, embedder: new HashEmbedder({ dimensions: 128 }) })).rejects.toMatchObject({ code: 'dimension_mismatch' })
    })
  })
})
