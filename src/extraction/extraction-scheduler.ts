import type { ItemsAddedEvent } from '../session/postgres-session.js'
import type { ExtractionRequest } from './extraction-job.js'

/**
 * How extraction is scheduled after a turn: in this process (`inline`, the embedded default) or
 * through BullMQ workers (`queue`). `createMemory` talks only to this interface, so the façade
 * never branches on the mode; exactly-once effects live in PostgreSQL (the watermark), not here.
 */
export interface ExtractionScheduler {
  readonly mode: 'inline' | 'queue'
  /**
   * Hand this to `PostgresSession`'s `onItemsAdded`: schedules extraction for sessions that have a
   * user (a session without one has no facts to extract).
   * @throws FactlineError `queue_unavailable` (queue mode) when Redis cannot be reached; the items are stored.
   */
  onItemsAdded(event: ItemsAddedEvent): Promise<void>
  /** Schedules extraction of a session through a message: what the sweep calls. */
  enqueue(job: ExtractionRequest, options?: { retryFailed?: boolean | undefined }): Promise<unknown>
  /**
   * Waits until extraction has caught up with every turn scheduled through this scheduler.
   * @throws FactlineError `timeout` after `timeoutMs`; inline, the first extraction error since the last flush.
   */
  flush(options?: { timeoutMs?: number | undefined }): Promise<void>
  /**
   * Removes what the scheduler keeps outside PostgreSQL about these sessions (queue mode: their
   * jobs, deduplication keys and failure records in Redis). `forgetUser` calls it with the user's
   * session ids. Inline mode keeps nothing and does not implement it.
   */
  forgetSessions?(sessionIds: readonly string[]): Promise<void>
  /** Waits for running work, then refuses new work and releases what the scheduler opened. */
  close(): Promise<void>
}

/** How long `flush` waits by default. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 30_000
