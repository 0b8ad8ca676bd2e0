import { beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { toVectorLiteral } from '../../../src/db/vector.js'
import { createFactStore } from '../../../src/facts/fact-store.js'
import { insertFactWithSources } from '../../../src/facts/fact-writes.js'
import { recallFacts } from '../../../src/recall/recall.js'
import { BACKENDS } from '../../helpers/databases.js'
import { useDatabase, useFactStore } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { at, embedder, seedSession } from '../facts/fixtures.js'
import { describeEachSetup, describeWith } from '../../helpers/services.js'

const PROFILE = [
  ['Prefers TypeScript over Python', 'preference'],
  ['Lives in Lisbon, Portugal', 'profile'],
  ['Has a dog named Rex', 'profile'],
  ['Deploy target is Hetzner eu-central', 'infrastructure'],
  ['Allergic to peanuts', 'health'],
  ['Uses kubernetes for deployments', 'infrastructure'],
  ['kubernetess', 'misc'],
] as const

describeEachSetup(BACKENDS)('recallFacts (%s)', (backend) => {
  const ctx = useFactStore(backend)
  let userId: string
  const ids = new Map<string, string>()

  beforeAll(async () => {
    userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, PROFILE.map(([text]) => text))
    for (const [i, [content, kind]] of PROFILE.entries()) {
      ids.set(content, (await ctx.store.add({ userId, content, kind, sources: [at(sources, i)] })).id)
    }
  })

  it('puts the relevant fact first and returns its sources', async () => {
    const [top] = await recallFacts(ctx.handle, embedder, { userId, query: 'which programming language do I prefer?' })
    expect(top).toMatchObject({ content: 'Prefers TypeScript over Python', kind: 'preference', status: 'active', textMatch: true })
    expect(top?.sources).toEqual([{ sessionId: expect.any(String), messageId: expect.any(Number), createdAt: expect.any(Date) }])
    expect(top?.score).toBeGreaterThan(0)
    expect(top?.score).toBeLessThanOrEqual(1)
    const [pet] = await recallFacts(ctx.handle, embedder, { userId, query: 'what is my dog called' })
    expect(pet?.content).toBe('Has a dog named Rex')
  })

  it('lets an exact keyword match outrank a closer vector neighbour', async () => {
    // Embeddings are set by hand (the pipeline's insertFactWithSources takes them as given), so the
    // look-alike is the query's exact vector neighbour while only the other fact contains the word.
    const user = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, user, ['codename talk'])
    const [queryVector, otherVector] = await embedder.embed(['project codename', 'weekly status meeting notes'])
    const write = (content: string, embedding: number[] | undefined) =>
      ctx.handle.db.transaction().execute((trx) =>
        insertFactWithSources(trx, { userId: user, namespace: 'default' }, { content, embedding: embedding ?? [], sources }),
      )
    const lookalike = await write('Talked about naming things', queryVector)
    const keyword = await write('The project codename is Bluebird', otherVector)
    const results = await recallFacts(ctx.handle, embedder, { userId: user, query: 'project codename' })
    expect(results.map((r) => r.id)).toEqual([keyword.id, lookalike.id])
    expect(at(results, 1).similarity).toBeGreaterThan(at(results, 0).similarity ?? 1)
    expect(results.map((r) => r.textMatch)).toEqual([true, false])
  })

  it('honours k, kinds and minScore', async () => {
    expect(await recallFacts(ctx.handle, embedder, { userId, query: 'anything at all', k: 2 })).toHaveLength(2)
    const infra = await recallFacts(ctx.handle, embedder, { userId, query: 'where do I deploy', kinds: ['infrastructure'] })
    expect(infra.map((r) => r.kind)).toEqual(['infrastructure', 'infrastructure'])
    expect(await recallFacts(ctx.handle, embedder, { userId, query: 'quantum chromodynamics lecture', minScore: 0.5 })).toEqual([])
    const strict = await recallFacts(ctx.handle, embedder, { userId, query: 'dog named Rex', minScore: 0.3 })
    expect(strict.map((r) => r.content)).toContain('Has a dog named Rex')
    expect(strict.every((r) => r.textMatch || (r.similarity ?? 0) >= 0.3)).toBe(true)
    expect(await recallFacts(ctx.handle, embedder, { userId, query: '   ' })).toEqual([])
  })

  it('excludes superseded, retracted and forgotten facts unless includeInactive (forgotten never)', async () => {
    const user = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, user, ['I live in Berlin', 'Now Lisbon', 'My bank pin is 1234', 'I was wrong, I use Emacs'])
    const berlin = await ctx.store.add({ userId: user, content: 'Lives in Berlin', sources: [at(sources, 0)] })
    const { current: lisbon } = await ctx.store.supersede({ userId: user, id: berlin.id, fact: { content: 'Lives in Lisbon', sources: [at(sources, 1)] } })
    const pin = await ctx.store.add({ userId: user, content: 'Bank pin lives in a note', sources: [at(sources, 2)] })
    await ctx.store.forget({ userId: user, id: pin.id })
    const emacs = await ctx.store.add({ userId: user, content: 'Lives and breathes Emacs', sources: [at(sources, 3)] })
    await ctx.store.retract({ userId: user, id: emacs.id })

    const active = await recallFacts(ctx.handle, embedder, { userId: user, query: 'where does the user live' })
    expect(active.map((r) => r.id)).toEqual([lisbon.id])
    const all = await recallFacts(ctx.handle, embedder, { userId: user, query: 'where does the user live', includeInactive: true })
    expect(new Set(all.map((r) => r.id))).toEqual(new Set([lisbon.id, berlin.id, emacs.id]))
    expect(all.find((r) => r.id === berlin.id)).toMatchObject({ status: 'superseded', validTo: expect.any(Date) })
  })

  it('prefers the newer of two equally relevant facts, mildly', async () => {
    const user = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, user, ['tea', 'tea again'])
    const write = (validFrom: Date, source = at(sources, 0)) =>
      ctx.handle.db.transaction().execute(async (trx) => {
        const [embedding] = await embedder.embed(['Drinks green tea'])
        return insertFactWithSources(trx, { userId: user, namespace: 'default' }, { content: 'Drinks green tea', embedding: embedding ?? [], sources: [source], validFrom })
      })
    const old = await write(new Date(Date.now() - 365 * 86_400_000))
    const fresh = await write(new Date(), at(sources, 1))
    const results = await recallFacts(ctx.handle, embedder, { userId: user, query: 'green tea' })
    expect(results.map((r) => r.id)).toEqual([fresh.id, old.id])
    expect(at(results, 1).score / at(results, 0).score).toBeGreaterThan(0.85)
    const steep = await recallFacts(ctx.handle, embedder, { userId: user, query: 'green tea', recencyWeight: 1, recencyHalfLifeDays: 30 })
    expect(at(steep, 1).score).toBeLessThan(0.01)
  })

  it('rejects malformed options with typed errors', async () => {
    await expect(recallFacts(ctx.handle, embedder, { userId, query: 'x', k: 0 })).rejects.toMatchObject({ code: 'invalid_argument' })
    await expect(recallFacts(ctx.handle, embedder, { userId: '', query: 'x' })).rejects.toMatchObject({ code: 'empty_id' })
    await expect(recallFacts(ctx.handle, embedder, { userId, query: 'x', nope: 1 } as never)).rejects.toMatchObject({ code: 'invalid_argument' })
  })
})

describeWith('postgres')('recallFacts on a crowded table', () => {
  const ctx = useDatabase('postgres')

  it("returns all of a user's facts when they are a tiny share of the table", async () => {
    const store = await createFactStore({ db: ctx.handle, embedder })
    const userId = uniqueId('user')
    const topics = Array.from({ length: 20 }, (_, i) => `Prefers programming language number ${i}`)
    const { sources } = await seedSession(ctx.handle, userId, topics)
    for (const [i, content] of topics.entries()) await store.add({ userId, content, sources: [at(sources, i)] })

    // 5,000 other users' facts that look *more* like the query than the user's own do, so an HNSW
    // scan filtered afterwards would fill its ef_search budget with them and find few of the user's.
    const crowd = Array.from({ length: 5000 }, (_, i) => `Prefers programming language ${i % 7 === 0 ? 'TypeScript' : 'Rust'}`)
    const vectors = await embedder.embed(crowd)
    for (let start = 0; start < crowd.length; start += 500) {
      await ctx.handle.db
        .insertInto('facts')
        .values(
          crowd.slice(start, start + 500).map((content, j) => ({
            user_id: `crowd-${(start + j) % 250}`,
            namespace: 'default',
            content,
            status: 'active' as const,
            kind: null,
            key: null,
            valid_to: null,
            superseded_by: null,
            confidence: 1,
            embedding: toVectorLiteral(vectors[start + j] ?? []),
          })),
        )
        .execute()
    }
    await sql`analyze facts`.execute(ctx.handle.db)

    const recalled = await recallFacts(ctx.handle, embedder, { userId, query: 'Prefers programming language', k: 20, recencyWeight: 0 })
    expect(recalled).toHaveLength(20)
    expect(new Set(recalled.map((r) => r.content))).toEqual(new Set(topics))
  })
})
