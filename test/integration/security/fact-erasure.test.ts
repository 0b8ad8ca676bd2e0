import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { explainFact } from '../../../src/facts/explain.js'
import { recallFacts } from '../../../src/recall/recall.js'
import { BACKENDS } from '../../helpers/databases.js'
import { useFactStore } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { at, embedder, seedSession } from '../facts/fixtures.js'
import type { FactStoreFixture } from '../../helpers/suite-fixtures.js'

/** Berlin → Lisbon → Tokyo: each city word is unique to the test, so any leftover is found. */
async function threeHomes(ctx: FactStoreFixture) {
  const userId = uniqueId('user')
  const tag = uniqueId('city').replace(/[^a-z0-9]/gi, '')
  const { sources } = await seedSession(ctx.handle, userId, ['Berlin', 'Lisbon', 'Tokyo'])
  const berlin = await ctx.store.add({ userId, content: `Lives in Berlin${tag}`, sources: [at(sources, 0)] })
  const lisbon = (await ctx.store.supersede({ userId, id: berlin.id, fact: { content: `Lives in Lisbon${tag}`, sources: [at(sources, 1)] } })).current
  const tokyo = (await ctx.store.supersede({ userId, id: lisbon.id, fact: { content: `Lives in Tokyo${tag}`, sources: [at(sources, 2)] } })).current
  return { userId, tag, berlin, lisbon, tokyo }
}

/** Every fact and event row of the user that still holds `needle` anywhere, as text. */
async function rowsHolding(ctx: FactStoreFixture, userId: string, needle: string): Promise<string[]> {
  const facts = await sql<{ row: string }>`select f::text as row from facts f where f.user_id = ${userId}`.execute(ctx.handle.db)
  const events = await sql<{ row: string }>`select e::text as row from fact_events e where e.user_id = ${userId}`.execute(ctx.handle.db)
  return [...facts.rows, ...events.rows].map((r) => r.row).filter((row) => row.toLowerCase().includes(needle.toLowerCase()))
}

describe.each(BACKENDS)('forgetting a fact on %s', (backend) => {
  const ctx = useFactStore(backend)

  it('forgets the facts it replaced too, so explain and recall({ includeInactive }) no longer show them', async () => {
    const { userId, tag, berlin, lisbon, tokyo } = await threeHomes(ctx)
    const forgotten = await ctx.store.forget({ userId, id: lisbon.id })
    expect(forgotten).toMatchObject({ id: lisbon.id, status: 'forgotten', content: '' })

    const why = await explainFact(ctx.handle, tokyo.id, { userId })
    expect(why.replaced.map((f) => [f.id, f.status, f.content])).toEqual([
      [lisbon.id, 'forgotten', ''],
      [berlin.id, 'forgotten', ''],
    ])
    const recalled = await recallFacts(ctx.handle, embedder, { userId, query: `Berlin${tag} Lisbon${tag} Tokyo${tag}`, includeInactive: true, k: 10 })
    expect(recalled.map((f) => f.content)).toEqual([`Lives in Tokyo${tag}`])
    expect(await rowsHolding(ctx, userId, `Berlin${tag}`)).toEqual([])
    expect(await rowsHolding(ctx, userId, `Lisbon${tag}`)).toEqual([])
    // The later version is another statement and stays.
    expect(await ctx.store.get({ userId, id: tokyo.id })).toMatchObject({ status: 'active', content: `Lives in Tokyo${tag}` })
  })

  it('with chain: true forgets the whole supersession chain, from any link', async () => {
    const { userId, tag, berlin, lisbon, tokyo } = await threeHomes(ctx)
    await ctx.store.forget({ userId, id: berlin.id, chain: true })
    for (const fact of [berlin, lisbon, tokyo]) {
      expect(await ctx.store.get({ userId, id: fact.id })).toMatchObject({ status: 'forgotten', content: '', key: null })
    }
    expect(await rowsHolding(ctx, userId, tag)).toEqual([])
    const recalled = await recallFacts(ctx.handle, embedder, { userId, query: `Berlin${tag} Tokyo${tag}`, includeInactive: true })
    expect(recalled).toEqual([])
    // Forgetting again changes nothing and appends no event.
    const events = await sql<{ n: number }>`select count(*)::int as n from fact_events where user_id = ${userId}`.execute(ctx.handle.db)
    await ctx.store.forget({ userId, id: tokyo.id, chain: true })
    const again = await sql<{ n: number }>`select count(*)::int as n from fact_events where user_id = ${userId}`.execute(ctx.handle.db)
    expect(again.rows[0]?.n).toBe(events.rows[0]?.n)
  })

  it("never crosses into another user's or namespace's chain", async () => {
    const { userId, berlin } = await threeHomes(ctx)
    await expect(ctx.store.forget({ userId: uniqueId('user'), id: berlin.id, chain: true })).rejects.toMatchObject({ code: 'not_found' })
    await expect(ctx.store.forget({ userId, namespace: 'elsewhere', id: berlin.id, chain: true })).rejects.toMatchObject({ code: 'not_found' })
    expect(await ctx.store.get({ userId, id: berlin.id })).toMatchObject({ status: 'superseded' })
  })
})

describe.each(BACKENDS)('fact sources on %s', (backend) => {
  const ctx = useFactStore(backend)

  it("cannot cite a message of the same user's other namespace (add, addSources, supersede)", async () => {
    const userId = uniqueId('user')
    const support = await seedSession(ctx.handle, userId, ['My ticket number is 4711'], 'support')
    const sales = await seedSession(ctx.handle, userId, ['I want the pro plan'], 'sales')
    await expect(ctx.store.add({ userId, namespace: 'sales', content: 'Ticket 4711', sources: support.sources })).rejects.toMatchObject({
      code: 'not_found',
    })
    const fact = await ctx.store.add({ userId, namespace: 'sales', content: 'Wants the pro plan', sources: sales.sources })
    await expect(ctx.store.addSources({ userId, namespace: 'sales', id: fact.id, sources: support.sources })).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(
      ctx.store.supersede({ userId, namespace: 'sales', id: fact.id, fact: { content: 'Ticket 4711', sources: support.sources } }),
    ).rejects.toMatchObject({ code: 'not_found' })
    const why = await explainFact(ctx.handle, fact.id, { userId, namespace: 'sales' })
    expect(why.sources.map((s) => s.text)).toEqual(['I want the pro plan'])
  })
})
