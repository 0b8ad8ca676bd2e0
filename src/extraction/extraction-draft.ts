import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { cosineDistance } from '../db/vector.js'
import { FactlineError } from '../errors.js'
import type { CandidateFact, ExistingFact, ExtractionItem } from '../extractors/extractor.js'
import type { FactScope } from '../facts/fact.js'
import { scopedFacts } from '../facts/scoped-facts.js'
import { quietLogger } from '../logger.js'
import { decodeItem } from '../session/item-codec.js'
import { itemText } from '../session/item-text.js'
import { keepBatchCitations } from './extraction-checks.js'
import { nearestFactIds } from './extraction-neighbourhood.js'
import type { ExtractionContext, ExtractionProcessorDeps } from './extraction-processor.js'

const DEFAULT_BATCH = 100
const MAX_CONTEXT_CHARS = 8_000

/** A candidate fact with its embedding. */
export interface DraftCandidate extends CandidateFact {
  embedding: number[]
}

/**
 * One batch's model work, done outside any transaction: what was read, and what the extractor
 * and embedder made of it. `commitExtraction` checks that it still holds before writing it.
 */
export interface ExtractionDraft {
  sessionId: string
  userId: string | null
  namespace: string
  /** The watermark the items were read after. */
  watermark: number
  /** Id of the newest item read: the watermark once committed. Equals `watermark` when none was read. */
  through: number
  /** Transcript items read (all roles). */
  items: number
  /** More items wait past `through`. */
  more: boolean
  candidates: DraftCandidate[]
  /** Candidates refused already: invalid, or citing no item of the batch. */
  dropped: number
}

/**
 * Reads the session row and the items past its watermark, shows them with the user's relevant
 * facts to the extractor, and embeds what it proposes. Runs on `db` with no transaction open, so
 * the model call holds no connection, row lock or advisory lock; on single-connection PGlite the
 * app's other queries run meanwhile.
 * @throws FactlineError `not_found` when the session does not exist.
 */
export async function draftExtraction(
  deps: ExtractionProcessorDeps,
  sessionId: string,
  context: ExtractionContext,
): Promise<ExtractionDraft> {
  const { db, extractor, embedder } = deps
  const logger = deps.logger ?? quietLogger
  const limit = deps.maxItemsPerBatch ?? DEFAULT_BATCH
  const session = await db
    .selectFrom('agent_sessions')
    .select(['user_id', 'namespace', 'extracted_through'])
    .where('session_id', '=', sessionId)
    .executeTakeFirst()
  if (!session) throw unknownSession(sessionId)
  const watermark = Number(session.extracted_through)
  // addItems draws ids under the session row lock, so a committed id implies every smaller id of
  // the session is committed too: reading outside a transaction cannot skip an item.
  const rows = await db
    .selectFrom('agent_messages')
    .select(['id', 'created_at', sql<string>`message_data::text`.as('data')])
    .where('session_id', '=', sessionId)
    .where(sql.ref<number>('agent_messages.id'), '>', watermark)
    .orderBy('id')
    .limit(limit + 1)
    .execute()
  const batchRows = rows.slice(0, limit)
  const draft: ExtractionDraft = {
    sessionId,
    userId: session.user_id,
    namespace: session.namespace,
    watermark,
    through: batchRows.length > 0 ? Number(batchRows[batchRows.length - 1]!.id) : watermark,
    items: batchRows.length,
    more: rows.length > limit,
    candidates: [],
    dropped: 0,
  }
  if (session.user_id === null) return draft

  const scope: FactScope = { userId: session.user_id, namespace: session.namespace }
  const items: ExtractionItem[] = batchRows
    .map((r) => ({ messageId: Number(r.id), sessionId, createdAt: new Date(r.created_at), ...itemText(decodeItem(r.data)) }))
    .filter((i) => i.text.trim().length > 0)
  if (items.length === 0) return draft

  const signal = context.signal
  const existingFacts = await relevantFacts(db, deps, scope, items, signal)
  const raw = await extractor.extract({ userId: scope.userId, namespace: scope.namespace, items, existingFacts }, signal)
  const { candidates, rejected } = keepBatchCitations(raw, new Set(items.map((i) => i.messageId)))
  for (const r of rejected) {
    logger.warn('dropped a candidate fact: invalid, or citing no item of the batch', {
      jobId: context.jobId,
      sessionId,
      cited: r.cited,
    })
  }
  draft.dropped = rejected.length
  if (candidates.length === 0) return draft
  const vectors = await embedder.embed(candidates.map((c) => c.content), signal)
  draft.candidates = candidates.map((c, i) => ({ ...c, embedding: vectors[i] ?? [] }))
  return draft
}

/**
 * The facts shown to the extractor: every active keyed fact (slots it may correct, newest first)
 * plus the facts nearest to what the batch says, up to `existingFactsLimit`. Read without locks:
 * this is only context for the model, and reconciliation re-reads the facts under the lock.
 */
async function relevantFacts(
  db: Kysely<Database>,
  deps: ExtractionProcessorDeps,
  scope: FactScope,
  items: ExtractionItem[],
  signal: AbortSignal | undefined,
): Promise<ExistingFact[]> {
  const limit = deps.existingFactsLimit ?? 30
  const text = items
    .map((i) => i.text)
    .join('\n')
    .slice(0, MAX_CONTEXT_CHARS)
  const [query] = await deps.embedder.embed([text], signal)
  // One statement for both lists: the union of the newest keyed facts and the nearest ones, each
  // row carrying what both orders need, so each list is cut again here exactly as its own query
  // would have (a superset's top `limit` is the list's own top `limit`).
  const near = query ? nearestFactIds(db, scope, [query], limit) : undefined
  const keyed = scopedFacts(db, scope)
    .select('facts.id')
    .where('facts.status', '=', 'active')
    .where('facts.key', 'is not', null)
    .orderBy('facts.updated_at', 'desc')
    .limit(limit)
  const rows = await scopedFacts(db, scope)
    .select(['facts.id', 'facts.content', 'facts.kind', 'facts.key', 'facts.updated_at'])
    .select((query ? cosineDistance('facts.embedding', query) : sql<number | null>`null`).as('distance'))
    .where('facts.status', '=', 'active')
    .where((eb) => eb.or([eb('facts.id', 'in', keyed), ...(near ? [eb('facts.id', 'in', near)] : [])]))
    .execute()
  const newest = rows
    .filter((r) => r.key !== null)
    .sort((a, b) => new Date(b.updated_at).getTime() - new Date(a.updated_at).getTime())
    .slice(0, limit)
  const nearest = near
    ? rows
        .filter((r) => r.distance !== null)
        .sort((a, b) => Number(a.distance) - Number(b.distance) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
    : []
  const seen = new Set<string>()
  const out: ExistingFact[] = []
  for (const r of [...newest, ...nearest]) {
    if (seen.has(r.id) || out.length >= limit) continue
    seen.add(r.id)
    out.push({ id: r.id, content: r.content, kind: r.kind, key: r.key })
  }
  return out
}

export function unknownSession(sessionId: string): FactlineError {
  return new FactlineError('not_found', `session ${JSON.stringify(sessionId)} does not exist; nothing to extract`, {
    details: { sessionId },
  })
}
