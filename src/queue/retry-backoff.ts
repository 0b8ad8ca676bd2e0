import type { MinimalJob } from 'bullmq'

/** The backoff type extraction jobs carry; workers register {@link extractionBackoff} for it. */
export const RETRY_BACKOFF_TYPE = 'factline-capped-exponential'

/** Longest wait between two attempts of a job, so a job retries soon after its outage ends. */
export const MAX_RETRY_DELAY_MS = 5_000

/**
 * Attempts per extraction job. With the default 1 s first delay: 1 + 2 + 4 + 11 × 5 = 62 s of
 * retries, longer than a typical PostgreSQL restart or failover, never more than 5 s apart.
 */
export const DEFAULT_JOB_ATTEMPTS = 15

/** Wait before retry number `attemptsMade` (1-based): doubling from `firstDelayMs`, capped at {@link MAX_RETRY_DELAY_MS}. */
export function retryDelay(attemptsMade: number, firstDelayMs: number): number {
  const exponent = Math.max(0, Math.min(attemptsMade - 1, 30))
  return Math.min(firstDelayMs * 2 ** exponent, Math.max(firstDelayMs, MAX_RETRY_DELAY_MS))
}

/**
 * BullMQ's custom backoff hook (worker `settings.backoffStrategy`). Plain exponential backoff
 * grows past a minute within a few attempts, so a job that failed during an outage would wait long
 * after it ended; capping the delay keeps retries frequent while the attempts cover a minute.
 * @internal
 */
export function extractionBackoff(attemptsMade: number, _type?: string, _error?: Error, job?: MinimalJob): number {
  const delay = job?.opts.backoff && typeof job.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 1_000) : 1_000
  return retryDelay(attemptsMade, delay)
}
