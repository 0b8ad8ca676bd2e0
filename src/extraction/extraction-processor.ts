import { userTransaction } from '../db/user-scope.js'
import { errorMessage, FactlineError } from '../errors.js'
import { quietLogger, type Logger } from '../logger.js'
import { commitExtraction } from './extraction-commit.js'
import type { ExtractionBatch, ExtractionContext, ExtractionCounts, ExtractionProcessorDeps } from './extraction-deps.js'
import { draftExtraction } from './extraction-draft.js'
import { findSessionUserId } from '../session/sessions-table.js'

// Re-exported so callers keep importing the processor's inputs from the processor.
export type { ExtractionContext, ExtractionProcessorDeps } from './extraction-deps.js'

/** What one extraction did, for logs and tests. */
export interface ExtractionResult extends ExtractionCounts {
  sessionId: string
  userId: string | null
  namespace: string | null
  /** Transcript items of the committed batches (all roles). */
  items: number
  /** Batches committed; a draft overtaken by another run is not one. */
  batches: number
  /** The session's watermark afterwards. */
  extractedThrough: number
  durationMs: number
}

/** Drafts of one batch made before giving up with a transient error (the job is retried). */
const MAX_DRAFTS_PER_BATCH = 3

/**
 * Extracts facts from every item of a session past its watermark and moves the watermark, with
 * exactly-once effects. Each batch is done in two steps:
 *
 * 1. the draft (`draftExtraction`), with no transaction open: read the session row and the items
 *    after `extracted_through`, call the extractor, embed its candidates. The model call takes
 *    seconds and holds no pool connection, row lock or advisory lock meanwhile; on embedded
 *    PGlite (one connection) the app's next `getItems` does not wait for it.
 * 2. the commit (`commitExtraction`), one transaction: take the user's advisory lock, lock the
 *    session row and check the watermark has not moved since the draft; reconcile against the
 *    facts as they are now; write facts, sources and events; advance the watermark.
 *
 * When another run moved the watermark meanwhile (a job delivered twice, two workers racing) the
 * draft is dropped: if that run covered every item of the draft there is nothing left to do,
 * otherwise the batch is drafted again from the new watermark. Only one run's facts are written.
 * Candidates citing an item deleted during the model call are dropped, the rest committed.
 *
 * The user and namespace come from the session row only; nothing the extractor returns can
 * change them. A session without a user yields no facts; its watermark still advances.
 *
 * @throws FactlineError `not_found` when the session does not exist (a permanent failure).
 * Every other error is transient and the failing batch commits nothing: `extraction_failed` when
 * other runs overtook three drafts of one batch in a row, and database, extractor or embedder errors.
 */
export async function processSessionExtraction(
  deps: ExtractionProcessorDeps,
  sessionId: string,
  context: ExtractionContext = {},
): Promise<ExtractionResult> {
  const started = performance.now()
  const logger = deps.logger ?? quietLogger
  // A session found without a user (or not at all) is read as one without a user: the draft says which.
  if (context.userId === undefined) context = { ...context, userId: await findSessionUserId(deps.db, sessionId) }
  const total: ExtractionResult = {
    sessionId,
    userId: null,
    namespace: null,
    items: 0,
    batches: 0,
    extractedThrough: 0,
    added: 0,
    updated: 0,
    superseded: 0,
    noop: 0,
    excerpts: 0,
    dropped: 0,
    durationMs: 0,
  }
  let drafts = 0
  for (;;) {
    context.signal?.throwIfAborted()
    const draft = await draftExtraction(deps, sessionId, context)
    total.userId = draft.userId
    total.namespace = draft.namespace
    total.extractedThrough = draft.watermark
    if (draft.items === 0) break
    drafts++
    const outcome = await userTransaction(deps, context.userId, (trx) => commitExtraction(trx, deps, draft, context))
    total.userId = outcome.userId
    total.namespace = outcome.namespace
    total.extractedThrough = outcome.watermark
    if (outcome.status !== 'committed') {
      const fields = { jobId: context.jobId, sessionId, draftedAfter: draft.watermark, through: draft.through, watermark: outcome.watermark }
      if (outcome.status === 'covered') {
        logger.debug('extraction draft discarded: another run already extracted its items', fields)
        drafts = 0
        continue
      }
      logger.debug('extraction draft discarded: the session changed during the model call', fields)
      if (drafts >= MAX_DRAFTS_PER_BATCH) throw sessionKeptChanging(sessionId, drafts)
      continue
    }
    drafts = 0
    reportBatch(deps, logger, {
      sessionId,
      jobId: context.jobId,
      userId: outcome.userId,
      namespace: outcome.namespace,
      watermark: { from: draft.watermark, to: outcome.watermark },
      candidates: outcome.reconciled.candidates,
      decisions: outcome.reconciled.decisions,
      counts: { added: outcome.added, updated: outcome.updated, superseded: outcome.superseded, noop: outcome.noop, excerpts: outcome.excerpts, dropped: outcome.dropped },
    })
    total.items += draft.items
    total.batches++
    total.added += outcome.added
    total.updated += outcome.updated
    total.superseded += outcome.superseded
    total.noop += outcome.noop
    total.excerpts += outcome.excerpts
    total.dropped += outcome.dropped
    if (!draft.more) break
  }
  total.durationMs = Math.round(performance.now() - started)
  // Logs name sessions and jobs, never users: erasing a user must not leave them in log files.
  const { userId: _userId, namespace: _namespace, ...counts } = total
  logger.info('extraction done', { jobId: context.jobId, ...counts })
  return total
}

/** Tells `onBatch` (a tracer, say) about a committed batch; its failure is logged, never the batch's. */
function reportBatch(deps: ExtractionProcessorDeps, logger: Logger, batch: ExtractionBatch): void {
  if (!deps.onBatch) return
  try {
    deps.onBatch(batch)
  } catch (error) {
    logger.warn('extraction onBatch hook failed', { jobId: batch.jobId, sessionId: batch.sessionId, error: errorMessage(error) })
  }
}

function sessionKeptChanging(sessionId: string, drafts: number): FactlineError {
  return new FactlineError(
    'extraction_failed',
    `session ${JSON.stringify(sessionId)} kept changing while its items were extracted (${drafts} drafts ` +
      'were overtaken by other runs); this batch was not written, retry the extraction',
    { details: { sessionId, drafts } },
  )
}
