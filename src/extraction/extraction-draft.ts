import { withUserScope } from '../db/user-scope.js'
import { embedText, embedTexts } from '../embed/embed-texts.js'
import { FactlineError } from '../errors.js'
import type { CandidateFact, ExistingFact, ExtractionItem } from '../extractors/extractor.js'
import { loadRelevantFacts } from '../facts/fact-neighbourhood.js'
import type { Scope } from '../scope.js'
import { quietLogger } from '../logger.js'
import { itemText } from '../session/item-text.js'
import {
  DEFAULT_EXCERPT_INDEX,
  excerptEmbeddingText,
  isIndexedRole,
  questionsAnswered,
  splitIntoChunks,
  type ExcerptIndexConfig,
} from '../recall/excerpt-chunks.js'
import type { NewExcerpt } from '../recall/excerpts-table.js'
import { readItemsAfter, readLastMessageThrough } from '../session/messages-table.js'
import { readExtractionMark } from '../session/sessions-table.js'
import { DEFAULT_EXTRACT_TIMEOUT_MS, keepBatchCitations, withTimeBudget } from './extraction-checks.js'
import type { ExtractionContext, ExtractionProcessorDeps } from './extraction-deps.js'

const DEFAULT_BATCH = 100
const MAX_CONTEXT_CHARS = 8_000

/** A candidate fact with its embedding. */
export interface DraftCandidate extends CandidateFact {
  embedding: number[]
  /** When the newest item it cites was said: the fact holds from then (imported history keeps its dates). */
  validFrom: Date
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
  /** Chunks of the batch's messages to index in the episodic layer, embedded. */
  excerpts: NewExcerpt[]
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
  const { extractor, embedder } = deps
  const logger = deps.logger ?? quietLogger
  const limit = deps.maxItemsPerBatch ?? DEFAULT_BATCH
  // addItems draws ids under the session row lock, so a committed id implies every smaller id of
  // the session is committed too: reading outside a transaction cannot skip an item.
  const { session, rows, before } = await withUserScope(deps, context.userId, async (db) => {
    const ref = { sessionId, userId: context.userId ?? null }
    const session = await readExtractionMark(db, ref)
    if (!session) return { session, rows: [], before: undefined }
    const rows = await readItemsAfter(db, ref, session.watermark, limit + 1)
    // The message the batch continues from, for the question a first reply answers (indexing only).
    const indexing = deps.excerpts?.enabled !== false && session.userId !== null && rows.length > 0 && session.watermark > 0
    const before = indexing ? await readLastMessageThrough(db, ref, session.watermark) : undefined
    return { session, rows, before }
  })
  if (!session) throw unknownSession(sessionId)
  const { watermark } = session
  const batchRows = rows.slice(0, limit)
  const draft: ExtractionDraft = {
    sessionId,
    userId: session.userId,
    namespace: session.namespace,
    watermark,
    through: batchRows.length > 0 ? batchRows[batchRows.length - 1]!.id : watermark,
    items: batchRows.length,
    more: rows.length > limit,
    candidates: [],
    excerpts: [],
    dropped: 0,
  }
  if (session.userId === null) return draft

  const scope: Scope = { userId: session.userId, namespace: session.namespace }
  const items: ExtractionItem[] = batchRows
    .map((r) => ({ messageId: r.id, sessionId, createdAt: r.createdAt, ...withoutNul(itemText(r.item)) }))
    .filter((i) => i.text.trim().length > 0)
  if (items.length === 0) return draft

  const signal = context.signal
  const saidAt = new Map(batchRows.map((r) => [r.id, r.createdAt]))
  const excerptConfig = deps.excerpts ?? DEFAULT_EXCERPT_INDEX
  const previous = before ? itemText(before.item) : undefined
  const chunks = excerptConfig.enabled ? excerptChunks(items, saidAt, excerptConfig, previous) : []
  const existingFacts = await relevantFacts(deps, scope, items, signal)
  const budget = withTimeBudget(signal, deps.extractTimeoutMs ?? DEFAULT_EXTRACT_TIMEOUT_MS)
  const raw = await extractor.extract({ userId: scope.userId, namespace: scope.namespace, items, existingFacts }, budget)
  const { candidates, rejected } = keepBatchCitations(raw, new Set(items.map((i) => i.messageId)))
  for (const r of rejected) {
    logger.warn('dropped a candidate fact: invalid, or citing no item of the batch', {
      jobId: context.jobId,
      sessionId,
      cited: r.cited,
    })
  }
  draft.dropped = rejected.length
  if (candidates.length === 0 && chunks.length === 0) return draft
  // One embedding call for the facts and the excerpts of the batch.
  const vectors = await embedTexts(embedder, [...candidates.map((c) => c.content), ...chunks.map((c) => c.embeddingText)], signal)
  draft.candidates = candidates.map((c, i) => ({
    ...c,
    embedding: vectors[i]!,
    validFrom: latest(c.sourceMessageIds.map((id) => saidAt.get(id))),
  }))
  draft.excerpts = chunks.map(({ embeddingText: _, ...c }, i) => ({ ...c, embedding: vectors[candidates.length + i]! }))
  return draft
}

/**
 * A stored item may hold U+0000 (the transcript keeps items exactly), but PostgreSQL text columns
 * cannot: facts and excerpts are made from the text without it.
 */
function withoutNul<T extends { text: string }>(item: T): T {
  return item.text.includes('\u0000') ? { ...item, text: item.text.replaceAll('\u0000', '') } : item
}

/**
 * The chunks of the batch's indexed messages (user ones; assistant ones when configured), each with
 * the text it is embedded from (a reply's first chunk carries the question it answers).
 */
function excerptChunks(
  items: readonly ExtractionItem[],
  saidAt: Map<number, Date>,
  config: ExcerptIndexConfig,
  previous: { role: string; text: string } | undefined,
) {
  const questions = questionsAnswered(items, previous)
  return items
    .filter((item) => isIndexedRole(item.role, config))
    .flatMap((item) =>
      splitIntoChunks(item.text, config).map((text, chunk) => ({
        messageId: item.messageId,
        chunk,
        text,
        at: saidAt.get(item.messageId)!,
        embeddingText: excerptEmbeddingText({ chunk, text }, questions.get(item.messageId)),
      })),
    )
}

function latest(dates: ReadonlyArray<Date | undefined>): Date {
  const times = dates.flatMap((d) => (d ? [d.getTime()] : []))
  return times.length > 0 ? new Date(Math.max(...times)) : new Date()
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
  return withUserScope(deps, scope.userId, (db) => loadRelevantFacts(db, scope, query, deps.existingFactsLimit ?? 30))
}

export function unknownSession(sessionId: string): FactlineError {
  return new FactlineError('not_found', `session ${JSON.stringify(sessionId)} does not exist; nothing to extract`, {
    details: { sessionId },
  })
}
