import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { coerceError } from '../errors.js'
import { findLaggingSessions } from '../session/sessions-table.js'
import { quietLogger, type Logger } from '../logger.js'
import type { ExtractionRequest } from './extraction-job.js'

/** Anything that can take an extraction job: the BullMQ producer or the inline runner. */
export interface ExtractionTarget {
  enqueue(job: ExtractionRequest, options?: { retryFailed?: boolean | undefined }): Promise<unknown>
}

/** What a sweep did; one session failing does not stop the others. */
export interface SweepResult {
  /** Sessions (re)enqueued. */
  enqueued: number
  failed: Array<{ sessionId: string; error: Error }>
}

export interface SweepOptions {
  /** Sessions read per query. @defaultValue 500 */
  pageSize?: number | undefined
  /** Only this user's sessions (e.g. to re-extract one user after an outage). */
  userId?: string | undefined
  logger?: Logger | undefined
}

/**
 * Finds every session with a user whose watermark (`extracted_through`) lags its newest message
 * and enqueues it again. Redis is not the source of truth: items stored while Redis was down, or
 * whose job was lost or failed, are picked up here. A job kept as failed under the same id is
 * retried. Enqueueing a session that is already queued is harmless (same job id, deduplicated).
 * Sessions without a user are skipped: they have no facts to extract.
 */
export async function sweep(db: Kysely<Database>, scheduler: ExtractionTarget, options: SweepOptions = {}): Promise<SweepResult> {
  const pageSize = options.pageSize ?? 500
  const logger = options.logger ?? quietLogger
  const result: SweepResult = { enqueued: 0, failed: [] }
  let after = ''
  for (;;) {
    const rows = await findLaggingSessions(db, { after, limit: pageSize, userId: options.userId })
    for (const row of rows) {
      try {
        await scheduler.enqueue({ sessionId: row.sessionId, userId: row.userId, throughMessageId: row.newestMessageId }, { retryFailed: true })
        result.enqueued++
      } catch (error) {
        result.failed.push({ sessionId: row.sessionId, error: coerceError(error) })
      }
    }
    if (rows.length < pageSize) break
    after = rows[rows.length - 1]!.sessionId
  }
  logger.info('sweep done', { enqueued: result.enqueued, failed: result.failed.length })
  return result
}
