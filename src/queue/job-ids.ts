/** The BullMQ queue extraction jobs go through, unless configured otherwise. */
export const EXTRACTION_QUEUE_NAME = 'factline-extraction'

/** The job name every extraction job carries. */
export const EXTRACTION_JOB_NAME = 'extract'

/**
 * Encodes a session id for use inside a BullMQ job id. BullMQ rejects `:` in custom ids (it
 * separates Redis key parts), and percent-encoding is injective, so two sessions never share an id.
 */
export function encodeSessionIdForJob(sessionId: string): string {
  return encodeURIComponent(sessionId)
}

/**
 * The deterministic job id `extract-<session>-<throughMessageId>`: enqueueing the same turn twice
 * adds one job. The `extract-` prefix also keeps the id from ever being all digits, which BullMQ
 * reserves for its own ids.
 */
export function extractionJobId(sessionId: string, throughMessageId: number): string {
  return `extract-${encodeSessionIdForJob(sessionId)}-${throughMessageId}`
}

/** The deduplication id shared by all of one session's jobs, so a burst of turns becomes one job. */
export function extractionDedupId(sessionId: string): string {
  return `extract-${encodeSessionIdForJob(sessionId)}`
}
