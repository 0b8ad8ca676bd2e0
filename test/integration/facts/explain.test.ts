import { describe, expect, it } from 'vitest'
import { explainFact } from '../../../src/facts/explain.js'
import { useFactStore } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { at, seedSession } from './fixtures.js'

describe('explainFact', () => {
  const ctx = useFactStore('postgres')

  it('returns the source items as stored, with role, text and timestamp, and the event history', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['I prefer TypeScript', 'Seriously, TypeScript'])
    const fact = await ctx.store.add({ userId, content: 'Prefers TypeScript', sources, meta: { extractor: 'rules-v1' } })
    const why = await explainFact(ctx.handle, fact.id, { userId })
    expect(why.fact).toEqual(fact)
    expect(why.sources).toEqual([
      { ...at(sources, 0), item: { role: 'user', content: 'I prefer TypeScript' }, role: 'user', text: 'I prefer TypeScript', truncated: false, createdAt: expect.any(Date) },
      { ...at(sources, 1), item: { role: 'user', content: 'Seriously, TypeScript' }, role: 'user', text: 'Seriously, TypeScript', truncated: false, createdAt: expect.any(Date) },
    ])
    expect(why.events).toMatchObject([{ type: 'added', extractor: 'rules-v1', after: { content: 'Prefers TypeScript' } }])
    expect(why.replaced).toEqual([])
    expect(why.replacedBy).toEqual([])
  })

  it('follows the supersession chain both ways', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['Berlin', 'Lisbon', 'Tokyo'])
    const berlin = await ctx.store.add({ userId, content: 'Lives in Berlin', sources: [at(sources, 0)] })
    const { current: lisbon } = await ctx.store.supersede({ userId, id: berlin.id, fact: { content: 'Lives in Lisbon', sources: [at(sources, 1)] } })
    const { current: tokyo } = await ctx.store.supersede({ userId, id: lisbon.id, fact: { content: 'Lives in Tokyo', sources: [at(sources, 2)] } })

    const middle = await explainFact(ctx.handle, lisbon.id, { userId })
    expect(middle.replaced.map((f) => f.content)).toEqual(['Lives in Berlin'])
    expect(middle.replacedBy.map((f) => f.content)).toEqual(['Lives in Tokyo'])
    expect(middle.events.map((e) => e.type)).toEqual(['added', 'superseded'])

    const latest = await explainFact(ctx.handle, tokyo.id, { userId })
    expect(latest.replaced.map((f) => f.content)).toEqual(['Lives in Lisbon', 'Lives in Berlin'])
    expect(latest.sources.map((s) => s.text)).toEqual(['Tokyo'])
    expect((await explainFact(ctx.handle, berlin.id, { userId })).replacedBy.map((f) => f.id)).toEqual([lisbon.id, tokyo.id])
  })

  it("answers not_found for another user's fact and another namespace", async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['x'])
    const fact = await ctx.store.add({ userId, content: 'Has a secret', sources })
    await expect(explainFact(ctx.handle, fact.id, { userId: uniqueId('user') })).rejects.toMatchObject({ code: 'not_found' })
    await expect(explainFact(ctx.handle, fact.id, { userId, namespace: 'elsewhere' })).rejects.toMatchObject({ code: 'not_found' })
    await expect(explainFact(ctx.handle, 'not-a-uuid', { userId })).rejects.toMatchObject({ code: 'not_found' })
  })
})
