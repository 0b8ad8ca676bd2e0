import type { Job, JobsOptions, Queue } from 'bullmq'
import { errorMessage, FactlineError } from '../errors.js'
import { quietLogger, type Logger } from '../logger.js'
import { raceTimeout } from '../race-timeout.js'
import type { ItemsAddedEvent } from '../session/postgres-session.js'
import {
  EXTRACTION_JOB_NAME,
  EXTRACTION_QUEUE_NAME,
  extractionDedupId,
  extractionJobId,
} from './job-ids.js'
import type { ExtractionJob, ExtractionRequest } from '../extraction/extraction-job.js'
import { sealUserId } from './sealed-user.js'
import { bullQueueName } from './hash-tag.js'
import { isRedisClient, openRedis, type RedisClient, type RedisConnectionOption } from './redis-connection.js'
import { DEFAULT_JOB_ATTEMPTS, RETRY_BACKOFF_TYPE } from './retry-backoff.js'

/** Options for {@link createExtractionQueue}. */
export interface ExtractionQueueOptions {
  /** Your ioredis client or `Cluster` (configure it to fail fast: `enableOfflineQueue: false`), or `{ url }` / `{ cluster }`. */
  connection: RedisConnectionOption
  /**
   * @defaultValue 'factline-extraction' (the app and CLI pass `factline-extraction-<database tag>`; see `resolveQueueIdentity`).
   * On a Redis Cluster it is hash-tagged (`{name}`, see `bullQueueName`).
   */
  queueName?: string | undefined
  /** Tag of the database the jobs' sessions live in, put in every job so a worker of another database refuses it. */
  databaseTag?: string | undefined
  /** Seals the user id each job carries (`resolveQueueIdentity().jobKey`); without it jobs carry none. */
  jobKey?: Buffer | undefined
  /** How long a job that ran out of attempts is kept for inspection, in seconds. @defaultValue 604800 (7 days) */
  failedJobRetentionSeconds?: number | undefined
  /** BullMQ key prefix. @defaultValue 'bull' */
  prefix?: string | undefined
  /**
   * How long a job waits before it runs, so a burst of turns in one session becomes one job:
   * later turns find the session's job still delayed and are deduplicated into it.
   * @defaultValue 250 ms
   */
  coalesceMs?: number | undefined
  /** Attempts per job before it is kept as failed. @defaultValue 15 (about a minute of retries) */
  attempts?: number | undefined
  /** First retry delay; doubles with each attempt, up to 5 s. @defaultValue 1000 ms */
  backoffMs?: number | undefined
  /** Give up on an enqueue after this long (Redis unreachable). @defaultValue 2000 ms */
  enqueueTimeoutMs?: number | undefined
  logger?: Logger | undefined
}

/** What an enqueue did. */
export interface EnqueueResult {
  /** The job that will cover the request (an earlier job of the session when coalesced). */
  jobId: string
  /** True when a pending job of the same session already covers these items. */
  coalesced: boolean
}

/** How many jobs of the extraction queue are in each state. */
export interface ExtractionJobCounts {
  /** Ready to run, waiting for a free worker. */
  waiting: number
  /** Waiting out the coalescing delay or a retry backoff. */
  delayed: number
  active: number
  /** Completed jobs still kept (an hour, at most 1000). */
  completed: number
  /** Jobs that ran out of attempts, kept a week; `factline sweep` enqueues their sessions again. */
  failed: number
}

/** A producer for extraction jobs. */
export interface ExtractionQueue {
  /** The BullMQ queue name: the configured one, as `{name}` on a Redis Cluster. */
  readonly name: string
  /**
   * The underlying BullMQ queue, for tests and benchmarks that inspect single jobs.
   * @internal Not part of the supported API: its type follows BullMQ's major version.
   */
  readonly queue: Queue
  /** How many jobs are in each state. */
  counts(): Promise<ExtractionJobCounts>
  /**
   * Enqueues extraction for a session through `throughMessageId`.
   * @throws FactlineError `queue_unavailable` when Redis cannot be reached in time.
   */
  enqueue(job: ExtractionJob, options?: { retryFailed?: boolean | undefined }): Promise<EnqueueResult>
  /**
   * Hand this to `PostgresSession`'s `onItemsAdded`: enqueues for sessions that have a user
   * (a session without one has no facts to extract).
   */
  onItemsAdded(event: ItemsAddedEvent): Promise<void>
  /** Closes the queue, and the Redis connection if it was opened from a URL. */
  close(): Promise<void>
}

/**
 * Opens the producer side of the extraction queue. BullMQ and ioredis are loaded only now.
 * @example
 * ```ts
 * const queue = await createExtractionQueue({ connection: { url: process.env.REDIS_URL! } })
 * const session = new PostgresSession({ sessionId, userId, db, onItemsAdded: queue.onItemsAdded })
 * ```
 */
export async function createExtractionQueue(options: ExtractionQueueOptions): Promise<ExtractionQueue> {
  const { Queue } = await import('bullmq')
  const logger = options.logger ?? quietLogger
  const owned = !isRedisClient(options.connection)
  const connection: RedisClient = isRedisClient(options.connection)
    ? options.connection
    : await openRedis(options.connection, 'producer')
  const name = bullQueueName(options.queueName ?? EXTRACTION_QUEUE_NAME, connection)
  const queue = new Queue(name, { connection, ...(options.prefix ? { prefix: options.prefix } : {}) })
  // Errors surface through enqueue's rejection; the listener keeps an emitter error from crashing.
  queue.on('error', (error) => logger.debug('extraction queue connection error', { error: error.message }))
  const jobOptions = {
    coalesceMs: options.coalesceMs ?? 250,
    attempts: options.attempts ?? DEFAULT_JOB_ATTEMPTS,
    backoffMs: options.backoffMs ?? 1_000,
    timeoutMs: options.enqueueTimeoutMs ?? 2_000,
    failedJobRetentionSeconds: options.failedJobRetentionSeconds,
  }
  const enqueue = async ({ userId, ...request }: ExtractionRequest, extra: { retryFailed?: boolean | undefined } = {}) => {
    // Once a connection attempt has failed, refuse at once rather than wait out the timeout on every turn.
    if (connection.status === 'reconnecting' || connection.status === 'end') {
      throw unavailable(request, new Error(`Redis connection is ${connection.status}`))
    }
    const payload: ExtractionJob = {
      ...request,
      ...(options.databaseTag === undefined ? {} : { database: options.databaseTag }),
      ...(userId === undefined || options.jobKey === undefined ? {} : { user: sealUserId(options.jobKey, userId) }),
    }
    return enqueueExtraction(queue, payload, { ...jobOptions, ...extra })
  }
  return {
    name,
    queue,
    counts: () => countJobs(queue),
    enqueue,
    async onItemsAdded(event) {
      if (event.userId === null) return
      const result = await enqueue({ sessionId: event.sessionId, userId: event.userId, throughMessageId: event.lastMessageId })
      logger.debug('extraction enqueued', { sessionId: event.sessionId, ...result })
    },
    async close() {
      await queue.close()
      if (owned) connection.disconnect()
    },
  }
}

/** Reads the job counts of an extraction queue in one round trip. */
export async function countJobs(queue: Queue): Promise<ExtractionJobCounts> {
  const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'completed', 'failed')
  return {
    waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
    delayed: counts.delayed ?? 0,
    active: counts.active ?? 0,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
  }
}

/** Job settings {@link enqueueExtraction} applies. */
export interface EnqueueOptions {
  /** @defaultValue 250 */
  coalesceMs?: number | undefined
  /** @defaultValue 15 */
  attempts?: number | undefined
  /** @defaultValue 1000 */
  backoffMs?: number | undefined
  /** @defaultValue 2000 */
  timeoutMs?: number | undefined
  /** Re-run the job if one with this id is kept as failed (what the sweep does). @defaultValue false */
  retryFailed?: boolean | undefined
  /** Seconds a failed job is kept (at most 1,000 of them). @defaultValue 604800 (7 days) */
  failedJobRetentionSeconds?: number | undefined
}

/** How long a failed job is kept by default: long enough to inspect, bounded for erasure. */
export const DEFAULT_FAILED_JOB_RETENTION_SECONDS = 7 * 24 * 3_600

/**
 * Adds an extraction job with a deterministic id (`extract-<session>-<through>`), deduplicated
 * per session: while a session's job waits, further turns join it; while it runs, BullMQ keeps
 * one follow-up job (`keepLastIfActive`) so items that arrive mid-run are extracted next.
 * Exactly-once effects do not depend on any of this: the watermark in PostgreSQL decides.
 * @throws FactlineError `queue_unavailable` when Redis does not answer within `timeoutMs`.
 */
export async function enqueueExtraction(queue: Queue, job: ExtractionJob, options: EnqueueOptions = {}): Promise<EnqueueResult> {
  const jobId = extractionJobId(job.sessionId, job.throughMessageId)
  const opts: JobsOptions = {
    jobId,
    delay: options.coalesceMs ?? 250,
    deduplication: { id: extractionDedupId(job.sessionId), keepLastIfActive: true },
    attempts: options.attempts ?? DEFAULT_JOB_ATTEMPTS,
    // Doubling delays capped at 5 s (the worker's extractionBackoff): frequent retries for a minute.
    backoff: { type: RETRY_BACKOFF_TYPE, delay: options.backoffMs ?? 1_000 },
    // Completed jobs go soon; failed ones stay (a week by default) for inspection. Neither holds
    // user text: the payload is ids, the return value counts, the failure reason sanitised.
    removeOnComplete: { age: 3_600, count: 1_000 },
    removeOnFail: { age: options.failedJobRetentionSeconds ?? DEFAULT_FAILED_JOB_RETENTION_SECONDS, count: 1_000 },
  }
  const work = async () => {
    const added: Job = await queue.add(EXTRACTION_JOB_NAME, job, opts)
    if (options.retryFailed && added.id === jobId && (await added.isFailed())) await added.retry('failed')
    return added
  }
  const ms = options.timeoutMs ?? 2_000
  const adding = work()
  // The losing add may still reject later; the timeout has reported it already.
  adding.catch(() => {})
  const added = await raceTimeout(
    adding.catch((error: unknown) => Promise.reject(unavailable(job, error))),
    ms,
    () => unavailable(job, new Error(`no answer from Redis within ${ms} ms`)),
  )
  return { jobId: added.id ?? jobId, coalesced: added.id !== jobId }
}

function unavailable(job: ExtractionJob, cause: unknown): FactlineError {
  if (cause instanceof FactlineError) return cause
  return new FactlineError(
    'queue_unavailable',
    `could not enqueue extraction for session ${JSON.stringify(job.sessionId)}: ` +
      `${errorMessage(cause)}. The items are stored; ` +
      'workers sweep for them when their Redis connection comes back (or run `factline sweep`).',
    { cause, details: { ...job } },
  )
}
