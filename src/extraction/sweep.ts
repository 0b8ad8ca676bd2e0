import { sql } from 'kysely'
import type { FactlineDb } from '../db/create-db.js'
import { quietLogger, type Logger } from '../logger.js'
import type { ExtractionJob } from './extraction-job.js'

/** Anything that can take an extraction job: the BullMQ producer or the inline runner. */
export interface ExtractionTarget {
  enqueue(job: ExtractionJob, options?: { retryFailed?: boolean | undefined }): Promise<unknown>
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
export async function sweep(handle: FactlineDb, queue: ExtractionTarget, options: SweepOptions = {}): Promise<SweepResult> {
  const pageSize = options.pageSize ?? 500
  const logger = options.logger ?? quietLogger
  const result: SweepResult = { enqueued: 0, failed: [] }
  let after = ''
  for (;;) {
    let query = handle.db
      .selectFrom('agent_sessions as s')
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom('agent_messages as m')
            .select(sql<string | number | null>`max(m.id)`.as('newest'))
            .whereRef('m.session_id', '=', 's.session_id')
            .as('latest'),
        (join) => join.onTrue(),
      )
      .select(['s.session_id', 'latest.newest'])
      .where('s.user_id', 'is not', null)
      .where('s.session_id', '>', after)
      .where(sql<boolean>`latest.newest > s.extracted_through`)
      .orderBy('s.session_id')
      .limit(pageSize)
    if (options.userId !== undefined) query = query.where('s.user_id', '=', options.userId)
    const rows = await query.execute()
    for (const row of rows) {
      const job = { sessionId: row.session_id, throughMessageId: Number(row.newest) }
      try {
        await queue.enqueue(job, { retryFailed: true })
        result.enqueued++
      } catch (error) {
        result.failed.push({ sessionId: row.session_id, error: error instanceof Error ? error : new Error(String(error)) })
      }
    }
    if (rows.length < pageSize) break
    after = rows[rows.length - 1]!.session_id
  }
  logger.info('sweep done', { enqueued: result.enqueued, failed: result.failed.length })
  return result
}
