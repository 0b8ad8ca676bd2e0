import { hostname } from 'node:os'
import type { Job, Worker } from 'bullmq'
import type { FactlineDb } from '../db/create-db.js'
import type { Embedder } from '../embed/embedder.js'
import { errorMessage, FactlineError, isFactlineError, parseOrThrow } from '../errors.js'
import type { Extractor } from '../extractors/extractor.js'
import type { ReconcileOptions } from '../facts/reconcile.js'
import type { ExcerptIndexConfig } from '../recall/excerpt-chunks.js'
import { quietLogger, type Logger } from '../logger.js'
import { ExtractionJobSchema } from '../extraction/extraction-job.js'
import { processSessionExtraction, type ExtractionProcessorDeps, type ExtractionResult } from '../extraction/extraction-processor.js'
import { createExtractionQueue, type ExtractionJobCounts, type ExtractionQueue } from './extraction-queue.js'
import { sanitizedError, sanitizedFailure } from './job-failure.js'
import { assertSeesAllUsers } from '../db/row-level-security.js'
import { resolveQueueIdentity } from './queue-name.js'
import { openUserId } from './sealed-user.js'
import { bullQueueName } from './hash-tag.js'
import { duplicateRedis, isCluster, isRedisClient, openRedis, whenReady, type RedisClient, type RedisConnectionOption } from './redis-connection.js'
import { extractionBackoff } from './retry-backoff.js'
import { startSweepSchedule, type SweepSchedule } from './sweep-schedule.js'
import { sweep } from '../extraction/sweep.js'

/** Options for {@link createExtractionWorker}. */
export interface ExtractionWorkerOptions {
  db: FactlineDb
  extractor: Extractor
  embedder: Embedder
  /** Your ioredis client or `Cluster` (with `maxRetriesPerRequest: null`, on a cluster in `redisOptions`), or `{ url }` / `{ cluster }`. */
  connection: RedisConnectionOption
  /**
   * @defaultValue `factline-extraction-<database tag>`, the name the app's producer uses for the same database.
   * On a Redis Cluster it is hash-tagged (`{name}`), as the producer's is.
   */
  queueName?: string | undefined
  /** BullMQ key prefix. @defaultValue 'bull' */
  prefix?: string | undefined
  /** Jobs run at once by this process (different users run in parallel; one user's are serialised). @defaultValue 4 */
  concurrency?: number | undefined
  /**
   * Period of the lag sweep, run as one BullMQ job scheduler per queue (whichever worker is free
   * runs it; the last worker started sets the period). Workers also sweep when they start and when
   * their Redis connection comes back. 0 turns all of this off for this worker. @defaultValue 60000 ms
   */
  sweepIntervalMs?: number | undefined
  /**
   * A job's lock lifetime (renewed every half of it while the job runs). A worker that dies loses
   * its job to another within about `lockDuration + stalledInterval`. @defaultValue 8000 ms
   */
  lockDuration?: number | undefined
  /** How often stalled jobs (from dead workers) are looked for. @defaultValue 4000 ms */
  stalledInterval?: number | undefined
  /**
   * Times a job may be recovered from a dead worker before it is failed (the sweep retries failed
   * jobs; the watermark makes a rerun harmless). @defaultValue 2
   */
  maxStalledCount?: number | undefined
  /** Start taking jobs right away. @defaultValue true */
  autorun?: boolean | undefined
  reconcile?: ReconcileOptions | undefined
  /** Transcript items per transaction. @defaultValue 100 */
  maxItemsPerBatch?: number | undefined
  /** How transcript messages are indexed as excerpts. @defaultValue user messages only */
  excerpts?: ExcerptIndexConfig | undefined
  logger?: Logger | undefined
  /** Told about each committed batch (e.g. `tracing.extraction` traces it). */
  onBatch?: ExtractionProcessorDeps['onBatch']
}

/**
 * A job's return value, kept in Redis for an hour: counts only, no user id, namespace or text,
 * so what Redis holds about a session is ids and numbers.
 */
export type ExtractionJobResult = Omit<ExtractionResult, 'userId' | 'namespace'>

/** A running extraction worker. */
export interface ExtractionWorker {
  /** The BullMQ queue this worker takes jobs from (`{name}` on a Redis Cluster). */
  readonly queueName: string
  /**
   * The underlying BullMQ worker, for tests and benchmarks that listen to job events.
   * @internal Not part of the supported API: its type follows BullMQ's major version.
   */
  readonly worker: Worker<unknown, ExtractionJobResult>
  /** How many jobs of the queue are in each state (all workers' jobs, not only this one's). */
  counts(): Promise<ExtractionJobCounts>
  /** Runs one sweep in this process now (the scheduled sweep jobs call this). */
  sweep(): ReturnType<typeof sweep>
  /**
   * Stops taking jobs, waits for running ones to finish, stops the sweep, and closes the
   * connections this worker opened. The database handle is the caller's.
   */
  close(): Promise<void>
}

/**
 * Starts a BullMQ worker that runs the extraction processor, plus its share of the lag sweep
 * (`sweep-schedule.ts`). Bad payloads, jobs of another database and unknown sessions fail at once
 * (BullMQ `UnrecoverableError`); anything else is retried with backoff (`retry-backoff.ts`), and a job that runs
 * out of attempts is kept as failed. A job whose session no longer exists (deleted, or its user
 * forgotten while the job ran) is removed once failed, so Redis keeps nothing about it. Failure
 * reasons are sanitised (`job-failure.ts`): they name the error's kind, never its text.
 * @throws FactlineError `invalid_config` for an ioredis `Cluster` with `enableOfflineQueue: false`.
 * @example
 * ```ts
 * const handle = await createDb({ url: process.env.DATABASE_URL! })
 * const w = await createExtractionWorker({ db: handle, extractor: new NlpExtractor(),
 *   embedder: new HashEmbedder(), connection: { url: process.env.REDIS_URL! } })
 * process.once('SIGTERM', () => void w.close())
 * ```
 */
export async function createExtractionWorker(options: ExtractionWorkerOptions): Promise<ExtractionWorker> {
  const { Worker, UnrecoverableError } = await import('bullmq')
  const logger = options.logger ?? quietLogger
  if (isRedisClient(options.connection) && isCluster(options.connection) && options.connection.options.enableOfflineQueue === false) {
    // BullMQ's blocking fetch is refused at once while such a cluster is not ready, and retries in a busy loop.
    throw new FactlineError(
      'invalid_config',
      "a worker's ioredis Cluster needs its offline queue (enableOfflineQueue: true) and redisOptions.maxRetriesPerRequest: null; pass { cluster: [...] } to let factline open one",
    )
  }
  const identity = await resolveQueueIdentity(options.db.db, options.queueName)
  const { databaseTag, jobKey } = identity
  await assertSeesAllUsers(options.db)
  const closers: Array<() => Promise<void> | void> = []
  const connection: RedisClient = isRedisClient(options.connection)
    ? options.connection
    : await openRedis(options.connection, 'worker')
  if (!isRedisClient(options.connection)) closers.push(() => connection.disconnect())
  const name = bullQueueName(identity.name, connection)

  const deps = {
    db: options.db.db,
    extractor: options.extractor,
    embedder: options.embedder,
    logger,
    reconcile: options.reconcile,
    maxItemsPerBatch: options.maxItemsPerBatch,
    excerpts: options.excerpts,
    onBatch: options.onBatch,
  }

  const processor = async (job: Job, _token?: string, signal?: AbortSignal): Promise<ExtractionJobResult> => {
    let payload
    try {
      payload = parseOrThrow(ExtractionJobSchema, job.data, 'invalid_argument', 'Invalid extraction job payload')
    } catch (error) {
      logger.error('extraction job rejected: invalid payload', { jobId: job.id })
      throw new UnrecoverableError(sanitizedFailure(error))
    }
    if (payload.database !== undefined && payload.database !== databaseTag) {
      // Another deployment's job on a shared queue name: its own workers and sweep will run it.
      logger.error('extraction job rejected: it belongs to another database; give each deployment its own queue name', {
        jobId: job.id,
        queue: name,
      })
      throw new UnrecoverableError(`wrong_database (job for database ${payload.database}, worker of ${databaseTag})`)
    }
    try {
      const { userId: _userId, namespace: _namespace, ...result } = await processSessionExtraction(deps, payload.sessionId, {
        jobId: job.id,
        // Unsealed, every statement of the job names the user; without it, the processor looks it up.
        userId: payload.user === undefined ? undefined : openUserId(jobKey, payload.user),
        signal,
      })
      return result
    } catch (error) {
      const permanent = isFactlineError(error, 'not_found')
      const reason = sanitizedFailure(error)
      logger[permanent ? 'error' : 'warn']('extraction job failed', {
        jobId: job.id,
        attempt: job.attemptsMade + 1,
        permanent,
        error: reason,
      })
      // The full message may quote model output or transcript text: debug logs only.
      logger.debug('extraction job failure detail', { jobId: job.id, error: errorMessage(error) })
      if (permanent) throw new UnrecoverableError(reason)
      throw sanitizedError(error)
    }
  }

  const worker = new Worker<unknown, ExtractionJobResult>(name, processor, {
    connection,
    concurrency: options.concurrency ?? 4,
    // Recorded on each job (processedBy), so an operator can tell which process ran or holds it.
    name: `${hostname()}-${process.pid}`,
    lockDuration: options.lockDuration ?? 8_000,
    stalledInterval: options.stalledInterval ?? 4_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    settings: { backoffStrategy: extractionBackoff },
    autorun: options.autorun ?? true,
    ...(options.prefix ? { prefix: options.prefix } : {}),
  })
  worker.on('error', (error) => logger.error('extraction worker error', { error: error.message }))
  worker.on('stalled', (jobId) => logger.warn('extraction job stalled (its worker died or froze); running it again', { jobId }))
  // A job whose session is gone has nothing left to do or show; keeping it would keep the session id.
  worker.on('failed', (job, error) => {
    if (job === undefined || error.message !== SESSION_GONE) return
    job.remove().catch((removeError: unknown) => logger.debug('could not remove a finished job', { jobId: job.id, error: String(removeError) }))
  })

  // The sweep and counts() go through their own fail-fast producer connection, like addItems does.
  let producerClient: RedisClient | undefined
  let producer: Promise<ExtractionQueue> | undefined
  const openProducer = () => {
    producer ??= (async () => {
      if (!producerClient) {
        producerClient = isRedisClient(options.connection)
          ? duplicateRedis(options.connection, 'producer')
          : await openRedis(options.connection, 'producer')
      }
      return createExtractionQueue({ connection: producerClient, queueName: name, databaseTag, jobKey, prefix: options.prefix, logger })
    })().catch((error: unknown) => {
      producer = undefined // the next sweep tries again
      throw error
    })
    return producer
  }
  const runSweep = async () => {
    const queue = await openProducer()
    // Right after Redis returns the fail-fast producer may still be reconnecting (within a second).
    // If it is not back in time, sweep anyway: each session it cannot enqueue is reported as failed.
    await whenReady(producerClient!, 10_000).catch(() => {})
    return sweep(options.db.db, queue, { logger })
  }
  const interval = options.sweepIntervalMs ?? 60_000
  let schedule: SweepSchedule | undefined
  if (interval > 0) {
    schedule = await startSweepSchedule({ connection, extractionQueueName: name, prefix: options.prefix, intervalMs: interval, run: runSweep, logger })
  }

  let closing: Promise<void> | undefined
  return {
    queueName: name,
    worker,
    counts: async () => (await openProducer()).counts(),
    sweep: runSweep,
    close() {
      closing ??= (async () => {
        await schedule?.close()
        await worker.close()
        await (await producer?.catch(() => undefined))?.close()
        producerClient?.disconnect()
        for (const close of closers.reverse()) await close()
      })()
      return closing
    },
  }
}

const SESSION_GONE = sanitizedFailure(new FactlineError('not_found', ''))
