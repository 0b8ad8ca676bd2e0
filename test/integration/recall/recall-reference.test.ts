import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql, type Kysely } from 'kysely'
import type { FactlineDb } from '../../../src/db/create-db.js'
import type { Database, FactStatus } from '../../../src/db/schema.js'
import { toVectorLiteral } from '../../../src/db/vector.js'
import { FACT_COLUMNS, rowToFact, type FactSourceRef } from '../../../src/facts/fact.js'
import type { Scope } from '../../../src/scope.js'
import { listFactSources } from '../../helpers/fact-sources.js'
import { scopedFacts } from '../../../src/facts/scoped-facts.js'
import { fuseRankings, recencyFactor } from '../../helpers/fuse-rankings.js'
import { nearestScopedFacts } from '../../../bench/lib/nearest-scoped-facts.js'
import { recallFacts, type RecalledFact } from '../../../src/recall/recall.js'
import { recallQuery, type RecallQueryParams } from '../../../src/recall/recall-query.js'
import { openBackend, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { at, embedder, seedSession } from '../facts/fixtures.js'
import { describeEachSetup } from '../../helpers/services.js'

const DAY = 86_400_000
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0, 321)
const WORDS = ['coffee', 'tea', 'deploy', 'kubernetes', 'lisbon', 'dog', 'rust', 'typescript', 'jazz', 'hiking']
const STATUSES: FactStatus[] = ['active', 'superseded', 'retracted', 'forgotten']
// More facts than the candidate depth (40), so both rankings are cut before fusion.
const FACT_COUNT = 120

/**
 * The pre-SQL recall, step by step: the exact vector candidates, the full-text candidates,
 * `fuseRankings`, `recencyFactor`, the sort, then `listFactSources`. The statement must match it.
 */
async function referenceRecall(db: Kysely<Database>, scope: Scope, p: RecallQueryParams) {
  const nearest = await nearestScopedFacts(db, scope, p.vector, p.candidates, p.filter)
  const vector = nearest
    .map((n) => ({ id: n.id, similarity: 1 - n.distance }))
    .filter((n) => p.minScore === undefined || n.similarity >= p.minScore)
  const words = sql<string>`replace(plainto_tsquery('english', ${p.text})::text, ' & ', ' | ')::tsquery`
  let textQuery = scopedFacts(db, scope)
    .select(['facts.id', sql<number>`ts_rank_cd(${sql.ref('facts.search')}, ${words})`.as('rank')])
    .where('facts.status', 'in', [...p.filter.statuses])
    .where(sql<boolean>`${sql.ref('facts.search')} @@ ${words}`)
  if (p.filter.kinds) textQuery = textQuery.where('facts.kind', 'in', [...p.filter.kinds])
  const text = await textQuery.orderBy('rank', 'desc').orderBy('facts.id').limit(p.candidates).execute()

  const fused = fuseRankings({ vector, text })
  if (fused.length === 0) return []
  const rows = await scopedFacts(db, scope).select(FACT_COLUMNS).where('facts.id', 'in', fused.map((c) => c.id)).execute()
  const facts = new Map(rows.map((r) => [r.id, rowToFact(r)]))
  const ranked = fused
    .map((c) => {
      const fact = facts.get(c.id)
      if (!fact) throw new Error(`fact ${c.id} vanished`)
      const ageDays = (p.now - fact.validFrom.getTime()) / DAY
      return { c, fact, score: c.fused * recencyFactor(ageDays, p.recencyHalfLifeDays, p.recencyWeight) }
    })
    .sort((a, b) => b.score - a.score || (b.c.similarity ?? -2) - (a.c.similarity ?? -2) || (a.c.id < b.c.id ? -1 : 1))
    .slice(0, p.k)
  const sources = await listFactSources(db, ranked.map((r) => r.fact.id))
  return ranked.map(({ c, fact, score }) => ({
    id: fact.id,
    score,
    similarity: c.similarity,
    textMatch: c.textRank !== null,
    sources: sources
      .filter((s) => s.factId === fact.id)
      .map((s) => ({ sessionId: s.sessionId, messageId: s.messageId, createdAt: s.createdAt })),
  }))
}

function expectSameRanking(
  actual: ReadonlyArray<Pick<RecalledFact, 'id' | 'score' | 'similarity' | 'textMatch' | 'sources'>>,
  expected: Awaited<ReturnType<typeof referenceRecall>>,
) {
  expect(actual.map((r) => r.id)).toEqual(expected.map((r) => r.id))
  for (const [i, row] of actual.entries()) {
    const ref = at(expected, i)
    expect(Math.abs(row.score - ref.score), `score of #${i + 1}: ${row.score} vs ${ref.score}`).toBeLessThanOrEqual(1e-9)
    expect(row.similarity).toBe(ref.similarity)
    expect(row.textMatch).toBe(ref.textMatch)
    expect(row.sources).toEqual(ref.sources)
  }
}

describeEachSetup<Backend>(['postgres', 'pglite'])('the recall statement against fuseRankings × recencyFactor (%s)', (backend) => {
  let handle: FactlineDb
  const scope: Scope = { userId: uniqueId('user'), namespace: 'default' }

  beforeAll(async () => {
    handle = await openBackend(backend)
    const { sources } = await seedSession(handle, scope.userId, ['one', 'two', 'three', 'four'])
    const contents = Array.from(
      { length: FACT_COUNT },
      (_, i) => `${at(WORDS, i % 10)} ${at(WORDS, (i * 3 + 1) % 10)} ${i % 4 === 0 ? 'deploy' : 'note'} ${i}`,
    )
    const vectors = await embedder.embed(contents)
    const facts = await handle.db
      .insertInto('facts')
      .values(
        contents.map((content, i) => ({
          user_id: scope.userId,
          namespace: scope.namespace,
          content,
          kind: ['a', 'b', 'c'][i % 3] ?? null,
          status: i % 5 === 0 ? at(STATUSES, (i / 5) % 4) : 'active',
          // Some facts have no embedding, so they can only come back through full-text search.
          embedding: i % 7 === 3 ? null : toVectorLiteral(at(vectors, i)),
          // Distinct ages (a few in the future, where the recency factor stops at 1).
          valid_from: new Date(i % 17 === 0 ? NOW + 3 * DAY : NOW - i * 5 * DAY - i * 1234),
        })),
      )
      .returning('id')
      .execute()
    const links: Array<{ user_id: string; fact_id: string; session_id: string; message_id: number }> = []
    for (const [i, { id }] of facts.entries()) {
      // 0 to 3 sources, so the lateral aggregate meets empty, single and ordered multi-row cases.
      const cited: FactSourceRef[] = [3, 1, 0].slice(0, i % 4).map((j) => at(sources, j))
      for (const s of cited) links.push({ user_id: scope.userId, fact_id: id, session_id: s.sessionId, message_id: s.messageId })
    }
    await handle.db.insertInto('fact_sources').values(links).execute()
  })
  afterAll(() => handle.close())

  const cases: Array<[string, string, Partial<RecallQueryParams>]> = [
    ['the defaults', 'coffee and tea in lisbon', {}],
    ['a query matching most facts by word', 'coffee tea deploy kubernetes lisbon dog', { k: 30 }],
    ['every status but forgotten, two kinds, k past the matches', 'rust typescript jazz', {
      k: 100,
      candidates: 400,
      filter: { statuses: ['active', 'superseded', 'retracted'], kinds: ['a', 'b'] },
    }],
    ['a minScore floor', 'deploy kubernetes', { minScore: 0.2, k: 20 }],
    ['a floor no vector candidate reaches', 'hiking dog', { minScore: 0.99 }],
    ['steep recency', 'tea jazz', { recencyWeight: 1, recencyHalfLifeDays: 30, k: 15 }],
    ['no recency', 'tea jazz', { recencyWeight: 0, k: 15 }],
    ['stopwords only (vector ranking alone)', 'the and of', { k: 10 }],
  ]

  it.each(cases)('scores equal the TS reference within 1e-9: %s', async (_, text, overrides) => {
    const [vector] = await embedder.embed([text])
    const params: RecallQueryParams = {
      text,
      vector: vector ?? [],
      filter: { statuses: ['active'] },
      candidates: 40,
      k: 8,
      recencyHalfLifeDays: 90,
      recencyWeight: 0.1,
      now: NOW,
      ...overrides,
    }
    const expected = await referenceRecall(handle.db, scope, params)
    const rows = await recallQuery(handle.db, scope, params).execute()
    expect(rows.length).toBeGreaterThan(0)
    expectSameRanking(
      rows.map((r) => ({
        id: r.id,
        score: Number(r.score),
        similarity: r.similarity === null ? null : Number(r.similarity),
        textMatch: r.text_match,
        sources: (r.sources ?? []).map((s) => ({ sessionId: s.sessionId, messageId: Number(s.messageId), createdAt: new Date(s.createdAt) })),
      })),
      expected,
    )
  })

  it('recallFacts returns the reference ranking, sources as numbers and Dates', async () => {
    const query = 'coffee tea deploy'
    const [vector] = await embedder.embed([query])
    const now = Date.now()
    const recalled = await recallFacts(handle, embedder, { ...scope, query, k: 25, includeInactive: true, minScore: 0.1 })
    const expected = await referenceRecall(handle.db, scope, {
      text: query,
      vector: vector ?? [],
      filter: { statuses: ['active', 'superseded', 'retracted'] },
      candidates: 100,
      k: 25,
      minScore: 0.1,
      recencyHalfLifeDays: 90,
      recencyWeight: 0.1,
      now,
    })
    // recallFacts reads the clock a moment after `now`; that moves a score by about 1e-11.
    expectSameRanking(recalled, expected)
    expect(recalled.some((r) => r.sources.length > 1)).toBe(true)
    for (const s of recalled.flatMap((r) => r.sources)) {
      expect(typeof s.messageId).toBe('number')
      expect(s.createdAt).toBeInstanceOf(Date)
    }
  })
})
