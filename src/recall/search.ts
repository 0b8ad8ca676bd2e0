import { z } from 'zod'
import { isDistributedHandle, type FactlineDb } from '../db/create-db.js'
import { withUserScope } from '../db/user-scope.js'
import type { Embedder } from '../embed/embedder.js'
import { retryRead } from '../db/retry-read.js'
import { parseOrThrow } from '../errors.js'
import type { Scope } from '../scope.js'
import { assertScope, ScopeSchema } from '../scope.js'
import { embedText } from '../embed/embed-texts.js'
import { isOwnedBy, readSessionOwner, sessionConflict, sessionLookupFor } from '../session/sessions-table.js'
import { questionBefore } from './excerpt-chunks.js'
import { searchQuery, type SearchSourceJson } from './search-query.js'

/** The two layers `searchMemory` ranks together. */
export const SEARCH_TYPES = ['fact', 'excerpt'] as const
export type SearchHitType = (typeof SEARCH_TYPES)[number]

/**
 * Default relevance rule: none beyond the rank cut at `k` and the context block's token budget.
 * No fixed cosine floor (it dropped half the relevant facts on a long-conversation benchmark), and
 * no relative one either: on `npm run eval` (offline, k 10) every relative floor tried lost real
 * evidence that shares no word with the question — knowledge updates whose current value ranked
 * above the stale one fell from 71% (no floor) to 51% (0.5) and 49% (0.7), evidence hit@10 from
 * 93.2% to 91.8% / 92.1% — to save about 200 tokens on questions with no answer.
 */
export const DEFAULT_RELATIVE_FLOOR = 0

const date = z.union([z.date(), z.iso.datetime({ offset: true }), z.iso.date()]).transform((v) => new Date(v))

export const SearchOptionsSchema = z
  .strictObject({
    ...ScopeSchema.shape,
    /** What to look for, usually the user's new message. */
    query: z.string().max(10_000),
    /** Hits to return at most. @defaultValue 10 */
    k: z.number().int().min(1).max(100).default(10),
    /** Layers to search. @defaultValue ['fact', 'excerpt'] */
    types: z
      .array(z.enum(SEARCH_TYPES))
      .min(1)
      .max(2)
      .default([...SEARCH_TYPES]),
    /** Only hits from this instant on (a fact's `validFrom`, an excerpt's message time). */
    since: date.optional(),
    /** Only hits from before this instant. */
    until: date.optional(),
    /** Leave out this session's excerpts, e.g. the running conversation, whose history the model already has. */
    excludeSessionId: z.string().max(512).optional(),
    /**
     * Relevance rule: a vector candidate below this share of its layer's best similarity leaves the
     * vector ranking (a full-text match keeps its text rank). 0 turns it off. @defaultValue 0 (see `DEFAULT_RELATIVE_FLOOR`)
     */
    relativeFloor: z.number().min(0).max(1).default(DEFAULT_RELATIVE_FLOOR),
    /** Age at which the recency bonus halves, counted back from the user's newest memory. @defaultValue 90 */
    recencyHalfLifeDays: z.number().positive().default(90),
    /**
     * Share of the score that depends on recency; 0 turns recency off. Higher than recall's 0.1:
     * excerpts keep superseded statements, and on `npm run eval` 0.3 put the current value above
     * the stale one in 51% of knowledge updates against 43% at 0.1, with no other figure moving.
     * @defaultValue 0.3
     */
    recencyWeight: z.number().min(0).max(1).default(0.3),
  })
  .refine((o) => !o.since || !o.until || o.since < o.until, { message: 'since must be before until', path: ['since'] })
export type SearchOptions = z.input<typeof SearchOptionsSchema>

/** Checks `memory.context` folds into the search statement. @internal */
export interface SearchGuard {
  /**
   * Refuse with `session_conflict` unless this session is stored under the searched
   * `(userId, namespace)`, or not stored yet: the running session's owner check, in the same
   * statement as the search, so a memory turn spends no round trip on it.
   */
  ownedSessionId?: string | undefined
}

/** Where a hit comes from: a transcript message, with its time. */
export interface SearchSource {
  sessionId: string
  messageId: number
  at: Date
}

/** One hit of `searchMemory`: a fact (with its provenance) or an excerpt of a past message. */
export interface SearchHit {
  type: SearchHitType
  /** The fact's id, or the excerpt's id (digits). */
  id: string
  /** The fact's content, or the excerpt's text. */
  text: string
  /** Fused relevance in (0, 1], recency included; comparable across both layers. */
  score: number
  /** Cosine similarity between query and hit, when the hit was a vector candidate (a score part). */
  similarity: number | null
  /** A fact's `validFrom`, an excerpt's message time. */
  at: Date
  /** The excerpt's session (excerpts only). */
  sessionId?: string
  /** The excerpt's message (excerpts only). */
  messageId?: number
  /**
   * The question(s) the assistant asked just before this message, when the excerpt is the start of
   * the user's reply (excerpts only): "ANSYS Fluent." means little without "What software are you
   * using?". The excerpt was embedded with it too (see `questionsAnswered`).
   */
  replyTo?: string
  /** For a fact, its provenance; for an excerpt, the message it is part of. */
  sources: SearchSource[]
}

/**
 * Searches one `(userId, namespace)`'s memory — its active facts and the excerpts of its past
 * messages — and returns one ranked list, best first.
 *
 * Each layer is ranked twice, exactly over the user's own rows: by cosine similarity to the
 * query's embedding and by full-text match on any of the query's words. Each layer's two ranks are
 * fused as `recallFacts` fuses them (`(1/(60 + r_vec) + 1/(60 + r_text)) / (2/61)` × the recency
 * factor), so the first hit of either layer scores about 1 and the layers interleave by rank.
 * An excerpt whose message is a source of a fact found too, scoring at least as well, is folded
 * into that fact (the fact lists the message among its sources), so one statement is not listed
 * twice; an excerpt that outscores every fact drawn from it says more than they do and stays, and
 * then those facts (each of whose source messages is listed above it, whole) are folded into it:
 * the words are already in the list, and the slot goes to something else. The relevance rule is the
 * rank cut at `k` (an optional relative floor, `relativeFloor`), never a fixed cosine floor. One SQL statement, one round trip.
 *
 * @throws FactlineError `invalid_argument`, `empty_id`, `dimension_mismatch`, `embedding_failed`.
 * @example
 * ```ts
 * const hits = await searchMemory(handle, embedder, { userId: 'u1', query: 'what did I say about the trip?' })
 * for (const h of hits) console.log(h.type, h.score.toFixed(2), h.text, h.sources[0]?.at)
 * ```
 */
export async function searchMemory(
  handle: FactlineDb,
  embedder: Embedder,
  options: SearchOptions,
  guard: SearchGuard = {},
): Promise<SearchHit[]> {
  const o = parseOrThrow(SearchOptionsSchema, options, 'invalid_argument', 'Invalid search options')
  assertScope(o)
  const scope: Scope = { userId: o.userId, namespace: o.namespace }
  // NUL cannot reach PostgreSQL text; it carries no meaning in a query.
  const query = o.query.replaceAll('\u0000', ' ')
  const lookup = guard.ownedSessionId === undefined ? 'own-rows' : sessionLookupFor(await isDistributedHandle(handle))
  if (query.trim().length === 0) {
    if (guard.ownedSessionId !== undefined) {
      const stored = await readSessionOwner(handle.db, { sessionId: guard.ownedSessionId, userId: scope.userId }, lookup)
      if (stored && !isOwnedBy(stored, { sessionId: guard.ownedSessionId, ...scope })) throw sessionConflict(guard.ownedSessionId)
    }
    return []
  }
  const vector = await embedText(embedder, query)
  const statement = (db: FactlineDb['db']) => searchQuery(db, scope, {
    text: query,
    vector,
    facts: o.types.includes('fact'),
    excerpts: o.types.includes('excerpt'),
    candidates: Math.max(4 * o.k, 40),
    k: o.k,
    relativeFloor: o.relativeFloor,
    since: o.since,
    until: o.until,
    excludeSessionId: o.excludeSessionId,
    ownedSessionId: guard.ownedSessionId,
    ownerLookup: lookup,
    recencyHalfLifeDays: o.recencyHalfLifeDays,
    recencyWeight: o.recencyWeight,
    now: Date.now(),
  })
  const result = await retryRead(() => withUserScope(handle, scope.userId, (db) => statement(db).execute(db)), handle.target)
  if (guard.ownedSessionId !== undefined && result.rows.some((row) => !row.owned)) throw sessionConflict(guard.ownedSessionId)
  return result.rows.flatMap((row) => {
    if (row.type === null) return []
    const hit: SearchHit = {
      type: row.type,
      id: String(row.id),
      text: row.text,
      score: Number(row.score),
      similarity: row.similarity === null ? null : Number(row.similarity),
      at: new Date(row.at),
      sources: parseSources(row.sources).map((s) => ({
        sessionId: s.sessionId,
        messageId: Number(s.messageId),
        at: new Date(s.at),
      })),
    }
    if (row.type === 'excerpt' && row.session_id !== null && row.message_id !== null) {
      hit.sessionId = row.session_id
      hit.messageId = Number(row.message_id)
      const replyTo = questionBefore(row.role, row.previous)
      if (replyTo !== undefined) hit.replyTo = replyTo
    }
    return [hit]
  })
}

function parseSources(value: SearchSourceJson[] | string | null): SearchSourceJson[] {
  if (value === null) return []
  return typeof value === 'string' ? (JSON.parse(value) as SearchSourceJson[]) : value
}
