import { sql, type Kysely, type RawBuilder } from 'kysely'
import { z } from 'zod'
import type { FactlineDb } from '../db/create-db.js'
import type { Database, FactStatus } from '../db/schema.js'
import type { Embedder } from '../embed/embedder.js'
import { FACT_COLUMNS, rowToFact, type FactScope } from '../facts/fact.js'
import { assertScope, ScopeSchema } from '../facts/fact-input.js'
import { listFactSources } from '../facts/fact-repository.js'
import { embedText } from '../facts/fact-store.js'
import { scopedFacts } from '../facts/scoped-facts.js'
import { parseOrThrow } from '../errors.js'
import { fuseRankings, recencyFactor } from './fuse-rankings.js'
import { nearestScopedFacts, type CandidateFilter } from './nearest-facts.js'

export const RecallOptionsSchema = z.strictObject({
  ...ScopeSchema.shape,
  /** What to remember facts about, usually the user's new message. */
  query: z.string().max(10_000),
  /** How many facts to return at most. @defaultValue 8 */
  k: z.number().int().min(1).max(100).default(8),
  /**
   * Relevance floor: a fact found only by vector search is dropped when its cosine similarity to
   * the query is below this. Facts that match the query's words are kept whatever their similarity.
   * @defaultValue no floor
   */
  minScore: z.number().min(-1).max(1).optional(),
  /** Only facts of these kinds. */
  kinds: z.array(z.string()).min(1).optional(),
  /** Also return superseded and retracted facts (forgotten ones never come back). @defaultValue false */
  includeInactive: z.boolean().default(false),
  /** Age at which the recency bonus halves, measured from `validFrom`. @defaultValue 90 */
  recencyHalfLifeDays: z.number().positive().default(90),
  /** Share of the score that depends on recency; 0 turns recency off. @defaultValue 0.1 */
  recencyWeight: z.number().min(0).max(1).default(0.1),
})
export type RecallOptions = z.input<typeof RecallOptionsSchema>

/** A recalled fact, with the transcript items it came from. */
export interface RecalledFact {
  id: string
  content: string
  kind: string | null
  key: string | null
  /** Fused relevance in (0, 1], recency included; see `recallFacts`. */
  score: number
  /** Cosine similarity between query and fact, when the fact was a vector candidate. */
  similarity: number | null
  /** Whether the fact matched the query's words in full-text search. */
  textMatch: boolean
  status: FactStatus
  validFrom: Date
  validTo: Date | null
  createdAt: Date
  sources: Array<{ sessionId: string; messageId: number; createdAt: Date }>
}

/**
 * Recalls the facts of one `(userId, namespace)` most relevant to `query`, best first.
 *
 * Two rankings are computed over the scope's facts (active only, unless `includeInactive`):
 * vector — cosine similarity of the query's embedding, exact over the scope's rows (never an
 * approximate scan filtered afterwards, which can silently drop a user's facts; see
 * bench/recall-plan.ts); text — `ts_rank_cd` over the `search` tsvector, matching any of the
 * query's words (`plainto_tsquery('english', query)` with its `&` turned into `|`). They are
 * fused by reciprocal rank fusion and weighted by recency:
 *
 * `score = (1/(60 + r_vec) + 1/(60 + r_text)) / (2/61) × ((1 − w) + w × 0.5^(ageDays / halfLife))`
 *
 * where a ranking a fact is absent from contributes 0, `w` = `recencyWeight` and `ageDays` counts
 * from `validFrom`. So a fact first in both rankings and valid from today scores 1.
 *
 * @throws FactlineError `invalid_argument`, `empty_id`, `dimension_mismatch`, `embedding_failed`.
 * @example
 * ```ts
 * const facts = await recallFacts(handle, embedder, { userId: 'u1', query: 'where do we deploy?', k: 5 })
 * for (const f of facts) console.log(f.score.toFixed(2), f.content, f.sources[0]?.messageId)
 * ```
 */
export async function recallFacts(handle: FactlineDb, embedder: Embedder, options: RecallOptions): Promise<RecalledFact[]> {
  const o = parseOrThrow(RecallOptionsSchema, options, 'invalid_argument', 'Invalid recall options')
  assertScope(o)
  if (o.query.trim().length === 0) return []
  const db = handle.db
  const scope: FactScope = { userId: o.userId, namespace: o.namespace }
  const filter: CandidateFilter = {
    statuses: o.includeInactive ? ['active', 'superseded', 'retracted'] : ['active'],
    kinds: o.kinds,
  }
  const candidates = Math.max(4 * o.k, 40)
  const vector = await embedText(embedder, o.query)

  const [nearest, matches] = await Promise.all([
    nearestScopedFacts(db, scope, vector, candidates, filter),
    textMatches(db, scope, o.query, candidates, filter),
  ])
  const vectorRanked = nearest
    .map((n) => ({ id: n.id, similarity: 1 - n.distance }))
    .filter((n) => o.minScore === undefined || n.similarity >= o.minScore)
  const fused = fuseRankings({ vector: vectorRanked, text: matches })
  if (fused.length === 0) return []

  const rows = await scopedFacts(db, scope)
    .select(FACT_COLUMNS)
    .where('facts.id', 'in', fused.map((c) => c.id))
    .execute()
  const facts = new Map(rows.map((r) => [r.id, rowToFact(r)]))
  const now = Date.now()
  const ranked = fused
    .flatMap((c) => {
      const fact = facts.get(c.id)
      if (!fact) return []
      const ageDays = (now - fact.validFrom.getTime()) / 86_400_000
      return [{ c, fact, score: c.fused * recencyFactor(ageDays, o.recencyHalfLifeDays, o.recencyWeight) }]
    })
    .sort((a, b) => b.score - a.score || (b.c.similarity ?? -2) - (a.c.similarity ?? -2) || (a.c.id < b.c.id ? -1 : 1))
    .slice(0, o.k)

  const sources = await listFactSources(db, ranked.map((r) => r.fact.id))
  return ranked.map(({ c, fact, score }) => ({
    id: fact.id,
    content: fact.content,
    kind: fact.kind,
    key: fact.key,
    score,
    similarity: c.similarity,
    textMatch: c.textRank !== null,
    status: fact.status,
    validFrom: fact.validFrom,
    validTo: fact.validTo,
    createdAt: fact.createdAt,
    sources: sources
      .filter((s) => s.factId === fact.id)
      .map((s) => ({ sessionId: s.sessionId, messageId: s.messageId, createdAt: s.createdAt })),
  }))
}

/** An OR query over the text's stemmed words: a fact sharing any content word with the query matches. */
function anyWordQuery(text: string): RawBuilder<string> {
  return sql<string>`replace(plainto_tsquery('english', ${text})::text, ' & ', ' | ')::tsquery`
}

/** Facts of the scope matching any of the query's words, best `ts_rank_cd` first. */
async function textMatches(
  db: Kysely<Database>,
  scope: FactScope,
  text: string,
  limit: number,
  filter: CandidateFilter,
): Promise<Array<{ id: string }>> {
  const query = anyWordQuery(text)
  const rank = sql<number>`ts_rank_cd(${sql.ref('facts.search')}, ${query})`
  let q = scopedFacts(db, scope)
    .select(['facts.id', rank.as('rank')])
    .where('facts.status', 'in', [...filter.statuses])
    .where(sql<boolean>`${sql.ref('facts.search')} @@ ${query}`)
  if (filter.kinds) q = q.where('facts.kind', 'in', [...filter.kinds])
  return q.orderBy('rank', 'desc').orderBy('facts.id').limit(limit).execute()
}
