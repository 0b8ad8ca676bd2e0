import { assertMigrated } from '../db/migrate.js'
import { assertSeesAllUsers } from '../db/row-level-security.js'
import { FactlineError } from '../errors.js'
import { sweep, type SweepResult } from '../extraction/sweep.js'
import { adaptLogger, quietLogger, type Logger } from '../logger.js'
import { createExtractionQueue } from '../queue/extraction-queue.js'
import { createExtractionWorker, type ExtractionWorker } from '../queue/extraction-worker.js'
import { resolveQueueIdentity } from '../queue/queue-name.js'
import type { RedisTarget } from '../queue/redis-connection.js'
import { createCloserStack } from './closer-stack.js'
import { databaseOptionsFrom, createModels, openAISettingsFrom, openDatabase, prepareDatabase } from './components.js'
import type { EnvConfig } from './env.js'

type WorkerConfig = Pick<
  EnvConfig,
  | 'databaseUrl'
  | 'redisUrl'
  | 'openaiApiKey'
  | 'openaiBaseUrl'
  | 'extractionModel'
  | 'embeddingModel'
  | 'embeddingDimensions'
  | 'workerConcurrency'
  | 'startupWaitMs'
> &
  Partial<Pick<EnvConfig, 'redisClusterNodes' | 'rowLevelSecurity' | 'timeouts'>>

/** A worker started from configuration, with the database it opened. */
export interface StartedWorker {
  readonly worker: ExtractionWorker
  /** Closes the worker (waiting for running jobs), then the database. */
  close(): Promise<void>
}

type RedisConfig = Pick<WorkerConfig, 'databaseUrl' | 'redisUrl' | 'redisClusterNodes'>

/** The database URL and the queue's Redis: `REDIS_URL`, or a Redis Cluster by `REDIS_CLUSTER_NODES`. */
function requireUrls(config: RedisConfig, what: string): { databaseUrl: string; redis: RedisTarget } {
  const redis = config.redisUrl ? { url: config.redisUrl } : config.redisClusterNodes?.length ? { cluster: config.redisClusterNodes } : undefined
  if (!config.databaseUrl || !redis) {
    throw new FactlineError(
      'invalid_config',
      `${what} needs DATABASE_URL (PostgreSQL) and REDIS_URL (or REDIS_CLUSTER_NODES for a Redis Cluster); without Redis, extraction runs inline in the app process`,
    )
  }
  return { databaseUrl: config.databaseUrl, redis }
}

/**
 * Opens the database, checks it is migrated, picks the models and starts an extraction worker:
 * what `factline worker` and `workers/extraction-worker.ts` run.
 * @throws FactlineError `invalid_config` without DATABASE_URL or REDIS_URL / REDIS_CLUSTER_NODES, `migration_required`, `dimension_mismatch`.
 */
export async function startWorkerFromConfig(
  config: WorkerConfig,
  options: { logger?: Logger; sweepIntervalMs?: number; queueName?: string | undefined } = {},
): Promise<StartedWorker> {
  const { databaseUrl, redis } = requireUrls(config, 'the extraction worker')
  const logger = options.logger ? adaptLogger(options.logger) : quietLogger
  const closers = createCloserStack()
  const handle = await openDatabase(databaseOptionsFrom({ url: databaseUrl }, config as EnvConfig), undefined, {
    startupWaitMs: config.startupWaitMs,
    logger,
  })
  closers.push(() => handle.close())
  try {
    const models = await createModels(handle, openAISettingsFrom(undefined, config as EnvConfig))
    await prepareDatabase(handle, models.embedder, false, logger)
    const worker = await createExtractionWorker({
      db: handle,
      ...models,
      connection: redis,
      concurrency: config.workerConcurrency,
      sweepIntervalMs: options.sweepIntervalMs,
      queueName: options.queueName,
      logger,
    })
    closers.push(() => worker.close())
    logger.info('extraction worker started', {
      queue: worker.queueName,
      concurrency: config.workerConcurrency,
      extractor: models.extractor.id,
      embedder: models.embedder.id,
    })
    return { worker, close: () => closers.close() }
  } catch (error) {
    await closers.close().catch(() => {})
    throw error
  }
}

/** One sweep from configuration: what `factline sweep` runs. */
export async function sweepFromConfig(
  config: RedisConfig & Pick<WorkerConfig, 'startupWaitMs'>,
  options: { logger?: Logger; userId?: string | undefined; queueName?: string | undefined } = {},
): Promise<SweepResult> {
  const { databaseUrl, redis } = requireUrls(config, 'sweep')
  const closers = createCloserStack()
  try {
    const handle = await openDatabase(databaseOptionsFrom({ url: databaseUrl }, config as EnvConfig), undefined, {
      startupWaitMs: config.startupWaitMs,
      logger: options.logger,
    })
    closers.push(() => handle.close())
    await assertMigrated(handle)
    await assertSeesAllUsers(handle)
    const { name, databaseTag, jobKey } = await resolveQueueIdentity(handle.db, options.queueName)
    const queue = await createExtractionQueue({ connection: redis, queueName: name, databaseTag, jobKey, logger: options.logger })
    closers.push(() => queue.close())
    return await sweep(handle.db, queue, { logger: options.logger, userId: options.userId })
  } finally {
    await closers.close()
  }
}
