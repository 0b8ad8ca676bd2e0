import { sql } from 'kysely'
import { embedText, embedTexts } from '../embed/embed-texts.js'
import { FactlineError } from '../errors.js'
import type { CandidateFact, ExistingFact, ExtractionItem } from '../extractors/extractor.js'
import { loadRelevantFacts } from '../facts/fact-neighbourhood.js'
import type { Scope } from '../scope.js'
import { quietLogger } from '../logger.js'
import { decodeItem } from '../session/item-codec.js'
import { itemText } from '../session/item-text.js'
import { keepBatchCitations } from './extraction-checks.js'
import type { ExtractionContext, ExtractionProcessorDeps } from './extraction-deps.js'

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

  const scope: Scope = { userId: session.user_id, namespace: session.namespace }
  const items: ExtractionItem[] = batchRows
    .map((r) => ({ messageId: Number(r.id), sessionId, createdAt: new Date(r.created_at), ...itemText(decodeItem(r.data)) }))
    .filter((i) => i.text.trim().length > 0)
  if (items.length === 0) return draft

  const signal = context.signal
  const existingFacts = await relevantFacts(deps, scope, items, signal)
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
  const vectors = await embedTexts(embedder, candidates.map((c) => c.content), signal)
  draft.candidates = candidates.map((c, i) => ({ ...c, embedding: vectors[i]! }))
  return draft
}

/** The facts shown to the extractor, found near what the batch says (see `loadRelevantFacts`). */
async function relevantFacts(
  deps: ExtractionProcessorDeps,
  scope: Scope,
  items: ExtractionItem[],
  signal: AbortSignal | undefined,
): Promise<ExistingFact[]> {
  const text = items
    .map((i) => i.text)
    .join('\n')
    .slice(0, MAX_CONTEXT_CHARS)
  const query = await embedText(deps.embedder, text, signal)
  return loadRelevantFacts(deps.db, scope, query, deps.existingFactsLimit ?? 30)
}

export function unknownSession(sessionId: string): FactlineError {
  return new FactlineError('not_found', `session ${JSON.stringify(sessionId)} does not exist; nothing to extract`, {
    details: { sessionId },
  })
}
