import { z } from 'zod'
import type { FactlineDb } from '../db/create-db.js'
import { withUserScope } from '../db/user-scope.js'
import type { FactStatus } from '../db/schema.js'
import type { Embedder } from '../embed/embedder.js'
import { rowToFact } from '../facts/fact.js'
import { FactKindSchema } from '../facts/fact-input.js'
import { assertScope, ScopeSchema, type Scope } from '../scope.js'
import { embedText } from '../embed/embed-texts.js'
import { parseOrThrow } from '../errors.js'
import { retryRead } from '../db/retry-read.js'
import { recallQuery, type SourceJson } from './recall-query.js'

/** Most kinds one recall may filter on; a longer list is a mistake, and 70 k of them broke the protocol. */
export const MAX_RECALL_KINDS = 32

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
  /** Only facts of these kinds: 1 to `MAX_RECALL_KINDS`, each a kind as stored (1–64 characters). */
  kinds: z.array(FactKindSchema).min(1).max(MAX_RECALL_KINDS).optional(),
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
 * from `validFrom`. So a fact first in both rankings and valid from today scores 1. Each ranking is
 * `max(4k, 40)` deep. Ties go to the higher similarity, then the lower id. The whole recall, sources
 * included, is one SQL statement: one round trip on one connection.
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
  // NUL cannot reach PostgreSQL text and carries no meaning in a query (as in searchMemory).
  o.query = o.query.replaceAll('\u0000', ' ')
  if (o.query.trim().length === 0) return []
  const scope: Scope = { userId: o.userId, namespace: o.namespace }
  const vector = await embedText(embedder, o.query)
  const query = (db: FactlineDb['db']) => recallQuery(db, scope, {
    text: o.query,
    vector,
    filter: {
      statuses: o.includeInactive ? ['active', 'superseded', 'retracted'] : ['active'],
      kinds: o.kinds,
    },
    candidates: Math.max(4 * o.k, 40),
    k: o.k,
    minScore: o.minScore,
    recencyHalfLifeDays: o.recencyHalfLifeDays,
    recencyWeight: o.recencyWeight,
    now: Date.now(),
  })
  // Embedding is not repeated on a retry: only the statement is.
  const rows = await retryRead(() => withUserScope(handle, scope.userId, (db) => query(db).execute()), handle.target)
  return rows.map((row) => {
    const fact = rowToFact(row)
    return {
      id: fact.id,
      content: fact.content,
      kind: fact.kind,
      key: fact.key,
      score: Number(row.score),
      similarity: row.similarity === null ? null : Number(row.similarity),
      textMatch: row.text_match,
      status: fact.status,
      validFrom: fact.validFrom,
      validTo: fact.validTo,
      createdAt: fact.createdAt,
      sources: parseSources(row.sources).map((s) => ({
        sessionId: s.sessionId,
        messageId: Number(s.messageId),
        createdAt: new Date(s.createdAt),
      })),
    }
  })
}

/** pg and PGlite both parse `json` results, but a driver configured to leave them as text must still work. */
function parseSources(value: SourceJson[] | string | null): SourceJson[] {
  if (value === null) return []
  return typeof value === 'string' ? (JSON.parse(value) as SourceJson[]) : value
}
