import { createDb, type DatabaseOptions, type FactlineDb } from '../db/create-db.js'
import { assertMigrated, dimensionMismatch, migrate, readEmbeddingDimensions } from '../db/migrate.js'
import { assertRowLevelSecurityMatches } from '../db/row-level-security.js'
import { readEmbedderRecord, recordEmbedder, UNRECORDED_EMBEDDER } from '../db/embedder-record.js'
import type { TableNameOptions } from '../db/table-names.js'
import { waitForDatabase } from '../db/wait-for-database.js'
import type { Embedder } from '../embed/embedder.js'
import { DEFAULT_HASH_DIMENSIONS, HashEmbedder } from '../embed/hash-embedder.js'
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from '../embed/openai-embedder.js'
import { isFactlineError } from '../errors.js'
import type { ExtractionScheduler } from '../extraction/extraction-scheduler.js'
import { createInlineScheduler } from '../extraction/inline-scheduler.js'
import type { ExtractionProcessorDeps } from '../extraction/extraction-deps.js'
import type { Extractor } from '../extractors/extractor.js'
import { OpenAIExtractor, type OpenAIExtractorOptions } from '../extractors/openai/openai-extractor.js'
import { NlpExtractor } from '../extractors/nlp/nlp-extractor.js'
import { quietLogger, type Logger } from '../logger.js'
import type { ExcerptIndexConfig } from '../recall/excerpt-chunks.js'
import { createQueueScheduler } from '../queue/queue-scheduler.js'
import type { RedisClient, RedisTarget } from '../queue/redis-connection.js'
import type { EnvConfig } from './env.js'
import { pingQueueRedis } from './redis-ping.js'
import type { FactlineConfig } from './factline-options.js'

/**
 * The one place that turns configuration into components. `createMemory`, `memory.worker`, the
 * CLI and `workers/` all build the database, models and scheduler here, so the embedded default,
 * a worker process and an app agree on the same rules (e.g. which embedding dimension to use).
 * Explicit options win; absent sections come from the environment (read by `configFromEnv`).
 */

const BACKEND_KEYS = ['url', 'pool', 'kysely', 'pglite', 'dataDir'] as const

/**
 * The database a configuration names: explicit options, else `DATABASE_URL`, else
 * `FACTLINE_DATA_DIR`, else embedded. `rowLevelSecurity` and `timeouts` left out of the options
 * come from `FACTLINE_RLS` and the `FACTLINE_*_TIMEOUT_MS` variables (timeouts only for a URL).
 */
export function databaseOptionsFrom(option: DatabaseOptions, env: EnvConfig | undefined): DatabaseOptions {
  const hasBackend = option !== undefined && BACKEND_KEYS.some((key) => key in option)
  const explicit = option && !hasBackend ? (option as { rowLevelSecurity?: boolean; timeouts?: object }) : {}
  let chosen: NonNullable<DatabaseOptions> | undefined
  if (hasBackend) chosen = option
  else if (env?.databaseUrl) chosen = { url: env.databaseUrl }
  else if (env?.dataDir) chosen = { dataDir: env.dataDir }
  const rowLevelSecurity = (option as { rowLevelSecurity?: boolean } | undefined)?.rowLevelSecurity ?? env?.rowLevelSecurity
  const timeouts = { ...env?.timeouts, ...(explicit.timeouts ?? {}), ...((chosen as { timeouts?: object } | undefined)?.timeouts ?? {}) }
  const isUrl = chosen === undefined ? false : 'url' in chosen
  const merged = {
    ...chosen,
    ...(rowLevelSecurity !== undefined ? { rowLevelSecurity } : {}),
    ...(isUrl && Object.keys(timeouts).length > 0 ? { timeouts } : {}),
  }
  return Object.keys(merged).length > 0 ? (merged as DatabaseOptions) : undefined
}

/**
 * Opens the database a configuration names and waits up to `startupWaitMs` for it to answer.
 * @throws FactlineError `connection_failed` when it does not; the handle is closed then.
 */
export async function openDatabase(
  option: DatabaseOptions,
  env: EnvConfig | undefined,
  startup: { tables?: TableNameOptions | undefined; startupWaitMs?: number | undefined; logger?: Logger | undefined } = {},
): Promise<FactlineDb> {
  const handle = await createDb(databaseOptionsFrom(option, env), startup.tables)
  try {
    await waitForDatabase(handle, { timeoutMs: startup.startupWaitMs, logger: startup.logger })
    return handle
  } catch (error) {
    await handle.close().catch(() => {})
    throw error
  }
}

type OpenAIConnection = { apiKey: string; baseURL?: string } | { client: NonNullable<Extract<FactlineConfig['openai'], { client: unknown }>>['client'] }

/** OpenAI settings for extraction and embeddings, or undefined to stay offline. */
export interface OpenAISettings {
  connection: OpenAIConnection
  extractionModel?: string | undefined
  embeddingModel?: string | undefined
  embeddingDimensions?: number | undefined
}

/** OpenAI settings from options (`false` stays offline), else from `OPENAI_API_KEY` and friends. */
export function openAISettingsFrom(option: FactlineConfig['openai'], env: EnvConfig | undefined): OpenAISettings | undefined {
  if (option === false) return undefined
  if (option) {
    const { extractionModel, embeddingModel, embeddingDimensions, ...connection } = option
    return { connection: connection as OpenAIConnection, extractionModel, embeddingModel, embeddingDimensions }
  }
  if (!env?.openaiApiKey) return undefined
  return {
    connection: { apiKey: env.openaiApiKey, ...(env.openaiBaseUrl ? { baseURL: env.openaiBaseUrl } : {}) },
    extractionModel: env.extractionModel,
    embeddingModel: env.embeddingModel,
    embeddingDimensions: env.embeddingDimensions,
  }
}

/** The database's stored embedding dimension, or undefined when the tables do not exist yet. */
async function storedDimensions(handle: FactlineDb): Promise<number | undefined> {
  return readEmbeddingDimensions(handle).catch((error: unknown) => {
    if (isFactlineError(error, 'migration_required')) return undefined
    throw error
  })
}

/**
 * The offline embedder for a database: the scheme its vectors were made with. A database that
 * recorded `hash-v1`, or has facts from before embedders were recorded, keeps `hash-v1` so new
 * vectors stay comparable with stored ones; a new database gets WordNet semantics.
 */
export function offlineEmbedderFor(recorded: string | undefined, dimensions: number): HashEmbedder {
  const legacy = recorded === UNRECORDED_EMBEDDER || recorded?.startsWith('hash-v1-') === true
  return new HashEmbedder({ dimensions, semantics: !legacy })
}

/**
 * The extractor and embedder: yours when given, else OpenAI's when configured, else the offline
 * NLP extractor and hashing embedder ({@link offlineEmbedderFor}). An embedder we build adopts
 * the database's stored dimension unless one is configured (the hashing embedder works at any
 * dimension; OpenAI's text-embedding-3 models shorten their vectors to it).
 */
export async function createModels(
  handle: FactlineDb,
  settings: OpenAISettings | undefined,
  given: { embedder?: Embedder | undefined; extractor?: Extractor | undefined } = {},
): Promise<{ embedder: Embedder; extractor: Extractor }> {
  const needsStored = !given.embedder && settings?.embeddingDimensions === undefined
  const stored = needsStored ? await storedDimensions(handle) : undefined
  let embedder = given.embedder
  if (!embedder && settings) {
    const dimensions = settings.embeddingDimensions ?? stored
    embedder = new OpenAIEmbedder({
      ...settings.connection,
      ...(settings.embeddingModel ? { model: settings.embeddingModel } : {}),
      ...(dimensions !== undefined ? { dimensions } : {}),
    } as OpenAIEmbedderOptions)
  }
  embedder ??= offlineEmbedderFor(await readEmbedderRecord(handle), stored ?? DEFAULT_HASH_DIMENSIONS)
  const extractor =
    given.extractor ??
    (settings
      ? new OpenAIExtractor({
          ...settings.connection,
          ...(settings.extractionModel ? { model: settings.extractionModel } : {}),
        } as OpenAIExtractorOptions)
      : new NlpExtractor())
  return { embedder, extractor }
}

/**
 * Makes the database ready for `embedder`: runs the migrations when `createTables` is on,
 * otherwise only checks that they were applied. Either way the embedder's dimension must be the
 * one the database stores. Then records the embedder's id as the maker of the stored vectors if
 * none is recorded yet, and warns when another one is: its vectors and the new ones do not
 * compare (re-embed the facts, or configure the recorded embedder).
 * @throws FactlineError `migration_required`, `dimension_mismatch`.
 */
export async function prepareDatabase(handle: FactlineDb, embedder: Embedder, createTables: boolean, logger: Logger = quietLogger): Promise<void> {
  if (createTables) {
    await migrate(handle, { embeddingDimensions: embedder.dimensions, rowLevelSecurity: handle.rowLevelSecurity === true })
  } else {
    await assertMigrated(handle)
    const stored = await readEmbeddingDimensions(handle)
    if (stored !== embedder.dimensions) throw dimensionMismatch(embedder.dimensions, stored)
  }
  await assertRowLevelSecurityMatches(handle)
  const recorded = await recordEmbedder(handle, embedder.id)
  if (recorded !== embedder.id) {
    logger.warn('the stored facts were embedded by another embedder; recall and deduplication compare unlike vectors until they are re-embedded (`factline reindex`, or memory.reindex())', {
      recorded,
      embedder: embedder.id,
    })
  }
}

/** Where extraction jobs go: a Redis URL, a Redis Cluster's nodes or your ioredis client, or `false` for in process. */
type QueueTuning = { name?: string | undefined; failedJobRetentionSeconds?: number | undefined; onUnavailable?: 'fail' | 'warn' | undefined }
export type QueueSettings = (RedisTarget & QueueTuning) | ({ connection: RedisClient } & QueueTuning) | false

/** Queue settings from options (`false` = in process), else `REDIS_URL` or `REDIS_CLUSTER_NODES`, else in process. */
export function queueSettingsFrom(option: FactlineConfig['queue'], env: EnvConfig | undefined): QueueSettings {
  if (option !== undefined) return option
  if (env?.redisUrl) return { url: env.redisUrl }
  if (env?.redisClusterNodes) return { cluster: env.redisClusterNodes }
  return false
}

/** The Redis a queue setting names: your client, or where factline opens its own connections. */
export function queueConnectionOf(queue: Exclude<QueueSettings, false>): RedisClient | RedisTarget {
  if ('connection' in queue) return queue.connection
  return 'cluster' in queue ? { cluster: queue.cluster } : { url: queue.url }
}

/** The scheduler the queue settings imply: BullMQ when a queue is configured, else in process. */
export async function createScheduler(
  queue: QueueSettings,
  deps: {
    handle: FactlineDb
    extractor: Extractor
    embedder: Embedder
    logger: Logger
    excerpts?: ExcerptIndexConfig | undefined
    onBatch?: ExtractionProcessorDeps['onBatch']
  },
): Promise<ExtractionScheduler> {
  if (!queue) {
    return createInlineScheduler({
      db: deps.handle.db,
      rowLevelSecurity: deps.handle.rowLevelSecurity,
      extractor: deps.extractor,
      embedder: deps.embedder,
      logger: deps.logger,
      excerpts: deps.excerpts,
      onBatch: deps.onBatch,
    })
  }
  const connection = queueConnectionOf(queue)
  await pingQueueRedis(connection, queue.onUnavailable ?? 'fail', deps.logger)
  return createQueueScheduler({
    db: deps.handle.db,
    connection,
    queueName: queue.name,
    failedJobRetentionSeconds: queue.failedJobRetentionSeconds,
    logger: deps.logger,
  })
}
