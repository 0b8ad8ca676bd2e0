import { expect, it } from 'vitest'
import { explainFact } from '../../../src/facts/explain.js'
import { forgetUser } from '../../../src/facts/forget-user.js'
import { recallFacts } from '../../../src/recall/recall.js'
import { BACKENDS_AND_CITUS } from '../../helpers/databases.js'
import { useFactStore } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { at, embedder, seedSession, userMessage } from './fixtures.js'
import { describeEachSetup } from '../../helpers/services.js'

describeEachSetup(BACKENDS_AND_CITUS)('provenance-consistent deletion (%s)', (backend) => {
  const ctx = useFactStore(backend)

  const eventTypes = async (factId: string) =>
    (await ctx.handle.db.selectFrom('fact_events').select('event_type').where('fact_id', '=', factId).orderBy('id').execute()).map((e) => e.event_type)

  it('popItem on the source turn retracts a single-source fact and keeps one with another source', async () => {
    const userId = uniqueId('user')
    const { session, sources } = await seedSession(ctx.handle, userId, ['I drink coffee', 'I drink tea'])
    const [first, second] = [at(sources, 0), at(sources, 1)]
    const single = await ctx.store.add({ userId, content: 'Drinks tea', sources: [second] })
    const double = await ctx.store.add({ userId, content: 'Drinks hot drinks', sources: [first, second] })

    await session.popItem()

    expect(await ctx.store.get({ userId, id: single.id })).toMatchObject({ status: 'retracted' })
    expect((await ctx.store.get({ userId, id: single.id })).validTo).toBeInstanceOf(Date)
    expect(await eventTypes(single.id)).toEqual(['added', 'source_removed', 'retracted'])
    expect(await ctx.store.get({ userId, id: double.id })).toMatchObject({ status: 'active' })
    expect(await eventTypes(double.id)).toEqual(['added', 'source_removed'])
    const why = await explainFact(ctx.handle, double.id, { userId })
    expect(why.sources.map((s) => s.messageId)).toEqual([first.messageId])
    // The trigger writes camelCase keys, like every TypeScript writer (0004).
    expect(why.events.map((e) => [e.type, e.before, e.after])).toEqual([
      ['added', null, expect.objectContaining({ sources: [{ sessionId: first.sessionId, messageId: first.messageId }, { sessionId: second.sessionId, messageId: second.messageId }] })],
      ['source_removed', { sessionId: second.sessionId, messageId: second.messageId }, null],
    ])
    const recalled = await recallFacts(ctx.handle, embedder, { userId, query: 'drinks tea' })
    expect(recalled.map((r) => r.id)).toEqual([double.id])
  })

  it('clearSession retracts facts drawn only from that session', async () => {
    const userId = uniqueId('user')
    const a = await seedSession(ctx.handle, userId, ['I use vim'])
    const b = await seedSession(ctx.handle, userId, ['I use vim, really'])
    const onlyA = await ctx.store.add({ userId, content: 'Uses vim', sources: a.sources })
    const both = await ctx.store.add({ userId, content: 'Edits with vim', sources: [...a.sources, ...b.sources] })
    await a.session.clearSession()
    expect((await ctx.store.get({ userId, id: onlyA.id })).status).toBe('retracted')
    expect((await ctx.store.get({ userId, id: both.id })).status).toBe('active')
    expect(await ctx.store.list({ userId })).toEqual([await ctx.store.get({ userId, id: both.id })])
  })

  it('"wait, I meant X": popping the mistaken message removes the fact from recall', async () => {
    const userId = uniqueId('user')
    const { session, sources } = await seedSession(ctx.handle, userId, ['Our deploy target is AWS us-east-1'])
    const mistaken = await ctx.store.add({ userId, content: 'Deploy target is AWS us-east-1', key: 'deploy_target', sources })
    expect((await recallFacts(ctx.handle, embedder, { userId, query: 'deploy target' })).map((r) => r.id)).toEqual([mistaken.id])

    expect(await session.popItem()).toEqual(userMessage('Our deploy target is AWS us-east-1'))
    await session.addItems([userMessage('Our deploy target is Hetzner eu-central')])
    const [row] = await ctx.handle.db.selectFrom('agent_messages').select('id').where('session_id', '=', at(sources, 0).sessionId).execute()
    const corrected = await ctx.store.add({
      userId,
      content: 'Deploy target is Hetzner eu-central',
      key: 'deploy_target',
      sources: [{ sessionId: at(sources, 0).sessionId, messageId: Number(row?.id) }],
    })

    const recalled = await recallFacts(ctx.handle, embedder, { userId, query: 'deploy target' })
    expect(recalled.map((r) => r.content)).toEqual(['Deploy target is Hetzner eu-central'])
    expect(recalled[0]?.id).toBe(corrected.id)
    const history = await recallFacts(ctx.handle, embedder, { userId, query: 'deploy target', includeInactive: true })
    expect(history.find((r) => r.id === mistaken.id)).toMatchObject({ status: 'retracted', sources: [] })
  })

  it('forgetUser removes every row of the user in every table and nothing of anyone else', async () => {
    const userId = uniqueId('user')
    const bystander = uniqueId('user')
    const mine = await seedSession(ctx.handle, userId, ['I like jazz', 'I live in Oslo'])
    const work = await seedSession(ctx.handle, userId, ['I work at Acme'], 'work')
    const theirs = await seedSession(ctx.handle, bystander, ['I like jazz too'])
    const jazz = await ctx.store.add({ userId, content: 'Likes jazz', sources: [at(mine.sources, 0)] })
    await ctx.store.supersede({ userId, id: jazz.id, fact: { content: 'Loves jazz', sources: mine.sources } })
    await ctx.store.add({ userId, namespace: 'work', content: 'Works at Acme', sources: work.sources })
    const kept = await ctx.store.add({ userId: bystander, content: 'Likes jazz too', sources: theirs.sources })

    const removed = await forgetUser(ctx.handle, userId)
    expect(removed).toEqual({ sessions: 2, messages: 3, facts: 3, events: 4 })

    const { db } = ctx.handle
    const sessionIds = [at(mine.sources, 0).sessionId, at(work.sources, 0).sessionId]
    expect(await db.selectFrom('agent_sessions').select('session_id').where('user_id', '=', userId).execute()).toEqual([])
    expect(await db.selectFrom('agent_messages').select('id').where('session_id', 'in', sessionIds).execute()).toEqual([])
    expect(await db.selectFrom('facts').select('id').where('user_id', '=', userId).execute()).toEqual([])
    expect(await db.selectFrom('fact_sources').select('fact_id').where('session_id', 'in', sessionIds).execute()).toEqual([])
    expect(await db.selectFrom('fact_events').select('id').where('user_id', '=', userId).execute()).toEqual([])
    expect(await ctx.store.get({ userId: bystander, id: kept.id })).toEqual(kept)
    expect(await forgetUser(ctx.handle, userId)).toEqual({ sessions: 0, messages: 0, facts: 0, events: 0 })
    await expect(forgetUser(ctx.handle, ' ')).rejects.toMatchObject({ code: 'empty_id' })
  })
})
