import type { EnvConfig } from './env.js'
import { createDb, type FactlineDb } from '../db/create-db.js'
import { assertMigrated, dimensionMismatch, readEmbeddingDimensions } from '../db/migrate.js'
import type { Embedder } from '../embed/embedder.js'
import { HashEmbedder } from '../embed/hash-embedder.js'
import { OpenAIEmbedder } from '../embed/openai-embedder.js'
import { FactlineError } from '../errors.js'
import type { Extractor } from '../extractors/extractor.js'
import { OpenAIExtractor } from '../extractors/openai/openai-extractor.js'
import { RuleExtractor } from '../extractors/rules/rule-extractor.js'
import { quietLogger, type Logger } from '../logger.js'
import { createExtractionQueue } from '../queue/extraction-queue.js'
import { createExtractionWorker, type ExtractionWorker } from '../queue/extraction-worker.js'
import { sweep, type SweepResult } from '../extraction/sweep.js'

type WorkerConfig = Pick<
  EnvConfig,
  'databaseUrl' | 'redisUrl' | 'openaiApiKey' | 'openaiBaseUrl' | 'extractionModel' | 'embeddingModel' | 'workerConcurrency'
>

/**
 * The extractor and embedder a configuration implies: OpenAI when an API key is set, otherwise
 * the offline rule extractor and hashing embedder. The embedder must produce the dimension the
 * database was created with.
 * @throws FactlineError `dimension_mismatch`, `migration_required`.
 */
export async function extractionModelsFor(
  config: Pick<WorkerConfig, 'openaiApiKey' | 'openaiBaseUrl' | 'extractionModel' | 'embeddingModel'>,
  handle: FactlineDb,
): Promise<{ extractor: Extractor; embedder: Embedder }> {
  const dimensions = await readEmbeddingDimensions(handle)
  if (!config.openaiApiKey) return { extractor: new RuleExtractor(), embedder: new HashEmbedder({ dimensions }) }
  const openai = { apiKey: config.openaiApiKey, ...(config.openaiBaseUrl ? { baseURL: config.openaiBaseUrl } : {}) }
  const embedder = new OpenAIEmbedder({ ...openai, dimensions, ...(config.embeddingModel ? { model: config.embeddingModel } : {}) })
  if (embedder.dimensions !== dimensions) throw dimensionMismatch(embedder.dimensions, dimensions)
  const extractor = new OpenAIExtractor({ ...openai, ...(config.extractionModel ? { model: config.extractionModel } : {}) })
  return { extractor, embedder }
}

/** A worker started from configuration, with the database it opened. */
export interface StartedWorker {
  readonly worker: ExtractionWorker
  /** Closes the worker (waiting for running jobs), then the database. */
  close(): Promise<void>
}

function requireUrls(config: Pick<WorkerConfig, 'databaseUrl' | 'redisUrl'>, what: string) {
  if (!config.databaseUrl || !config.redisUrl) {
    throw new FactlineError(
      'invalid_config',
      `${what} needs DATABASE_URL (PostgreSQL) and REDIS_URL; without Redis, extraction runs inline in the app process`,
    )
  }
  return { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl }
}

/**
 * Opens the database, checks it is migrated, picks the models and starts an extraction worker:
 * what `factline worker` and `workers/extraction-worker.ts` run.
 * @throws FactlineError `invalid_config` without DATABASE_URL or REDIS_URL, `migration_required`, `dimension_mismatch`.
 */
export async function startWorkerFromConfig(
  config: WorkerConfig,
  options: { logger?: Logger; sweepIntervalMs?: number } = {},
): Promise<StartedWorker> {
  const { databaseUrl, redisUrl } = requireUrls(config, 'the extraction worker')
  const logger = options.logger ?? quietLogger
  const handle = await createDb({ url: databaseUrl })
  try {
    await assertMigrated(handle)
    const models = await extractionModelsFor(config, handle)
    const worker = await createExtractionWorker({
      db: handle,
      ...models,
      connection: { url: redisUrl },
      concurrency: config.workerConcurrency,
      sweepIntervalMs: options.sweepIntervalMs,
      logger,
    })
    logger.info('extraction worker started', {
      concurrency: config.workerConcurrency,
      extractor: models.extractor.id,
      embedder: models.embedder.id,
    })
    return {
      worker,
      async close() {
        await worker.close()
        await handle.close()
      },
    }
  } catch (error) {
    await handle.close()
    throw error
  }
}

/** One sweep from configuration: what `factline sweep` runs. */
export async function sweepFromConfig(
  config: Pick<WorkerConfig, 'databaseUrl' | 'redisUrl'>,
  options: { logger?: Logger; userId?: string | undefined } = {},
): Promise<SweepResult> {
  const { databaseUrl, redisUrl } = requireUrls(config, 'sweep')
  const handle = await createDb({ url: databaseUrl })
  try {
    await assertMigrated(handle)
    const queue = await createExtractionQueue({ connection: { url: redisUrl }, logger: options.logger })
    try {
      return await sweep(handle, queue, { logger: options.logger, userId: options.userId })
    } finally {
      await queue.close()
    }
  } finally {
    await handle.close()
  }
}
