import { z } from 'zod'
import type { ServerTimeouts } from '../db/server-timeouts.js'
import { parseOrThrow } from '../errors.js'
import { RedisClusterNodesSchema } from '../queue/redis-cluster-nodes.js'

/** Settings read from the environment: the one place factline reads env vars. */
export interface EnvConfig {
  /** DATABASE_URL: PostgreSQL; absent means embedded PGlite. */
  databaseUrl: string | undefined
  /** FACTLINE_DATA_DIR: embedded PGlite folder. */
  dataDir: string | undefined
  /** REDIS_URL: BullMQ queue; absent (and no REDIS_CLUSTER_NODES) means extraction runs in process. */
  redisUrl: string | undefined
  /**
   * REDIS_CLUSTER_NODES: the queue on a Redis Cluster, by comma-separated startup node URLs
   * (`redis://h1:7000,redis://h2:7000`); instead of REDIS_URL, never with it.
   */
  redisClusterNodes: string[] | undefined
  /** OPENAI_API_KEY: LLM extraction and OpenAI embeddings; absent means the offline ones. */
  openaiApiKey: string | undefined
  /** OPENAI_BASE_URL: any OpenAI-compatible server. */
  openaiBaseUrl: string | undefined
  /** FACTLINE_EXTRACTION_MODEL */
  extractionModel: string | undefined
  /** FACTLINE_EMBEDDING_MODEL */
  embeddingModel: string | undefined
  /** FACTLINE_EMBEDDING_DIMENSIONS */
  embeddingDimensions: number | undefined
  /** FACTLINE_WORKER_CONCURRENCY @defaultValue 4 */
  workerConcurrency: number
  /** FACTLINE_STARTUP_WAIT_MS: how long the worker and CLI wait for PostgreSQL at startup. @defaultValue 60000 */
  startupWaitMs: number
  /** FACTLINE_NAMESPACE @defaultValue 'default' */
  namespace: string | undefined
  /** FACTLINE_INSPECT_TOKEN: the token `factline inspect` requires on every request. */
  inspectToken: string | undefined
  /** FACTLINE_LOG_LEVEL @defaultValue 'info' */
  logLevel: 'debug' | 'info' | 'warn' | 'error'
  /** FACTLINE_RLS (1/true or 0/false): `database.rowLevelSecurity`, and `factline migrate` enables the policies. */
  rowLevelSecurity: boolean | undefined
  /** FACTLINE_STATEMENT_TIMEOUT_MS, FACTLINE_LOCK_TIMEOUT_MS, FACTLINE_IDLE_IN_TRANSACTION_TIMEOUT_MS: `database.timeouts`. */
  timeouts: Partial<ServerTimeouts>
}

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const optionalString = z.preprocess(blankAsUndefined, z.string().optional())
const optionalInt = z.preprocess(blankAsUndefined, z.coerce.number().int().positive().optional())
const optionalMillis = z.preprocess(blankAsUndefined, z.coerce.number().int().min(0).max(86_400_000).optional())
const optionalFlag = z.preprocess(
  blankAsUndefined,
  z.enum(['1', 'true', '0', 'false']).transform((v) => v === '1' || v === 'true').optional(),
)

const commaList = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v)

const EnvSchema = z.object({
  DATABASE_URL: optionalString,
  FACTLINE_DATA_DIR: optionalString,
  REDIS_URL: optionalString,
  REDIS_CLUSTER_NODES: z.preprocess(blankAsUndefined, z.preprocess(commaList, RedisClusterNodesSchema).optional()),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString,
  FACTLINE_EXTRACTION_MODEL: optionalString,
  FACTLINE_EMBEDDING_MODEL: optionalString,
  FACTLINE_EMBEDDING_DIMENSIONS: optionalInt,
  FACTLINE_WORKER_CONCURRENCY: z.preprocess(blankAsUndefined, z.coerce.number().int().min(1).max(256).default(4)),
  FACTLINE_STARTUP_WAIT_MS: z.preprocess(blankAsUndefined, z.coerce.number().int().min(0).max(3_600_000).default(60_000)),
  FACTLINE_NAMESPACE: optionalString,
  FACTLINE_INSPECT_TOKEN: optionalString,
  FACTLINE_LOG_LEVEL: z.preprocess(blankAsUndefined, z.enum(['debug', 'info', 'warn', 'error']).default('info')),
  FACTLINE_RLS: optionalFlag,
  FACTLINE_STATEMENT_TIMEOUT_MS: optionalMillis,
  FACTLINE_LOCK_TIMEOUT_MS: optionalMillis,
  FACTLINE_IDLE_IN_TRANSACTION_TIMEOUT_MS: optionalMillis,
}).refine((e) => !(e.REDIS_URL && e.REDIS_CLUSTER_NODES), {
  message: 'set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both',
  path: ['REDIS_CLUSTER_NODES'],
})

/**
 * Reads factline's settings from environment variables. Blank values count as unset (so
 * docker-compose's `${OPENAI_API_KEY:-}` means "no key").
 * @throws FactlineError `invalid_config` naming the variable.
 */
export function configFromEnv(env: Record<string, string | undefined> = process.env): EnvConfig {
  const e = parseOrThrow(EnvSchema, env, 'invalid_config', 'Invalid environment')
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.FACTLINE_DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    extractionModel: e.FACTLINE_EXTRACTION_MODEL,
    embeddingModel: e.FACTLINE_EMBEDDING_MODEL,
    embeddingDimensions: e.FACTLINE_EMBEDDING_DIMENSIONS,
    workerConcurrency: e.FACTLINE_WORKER_CONCURRENCY,
    startupWaitMs: e.FACTLINE_STARTUP_WAIT_MS,
    namespace: e.FACTLINE_NAMESPACE,
    inspectToken: e.FACTLINE_INSPECT_TOKEN,
    logLevel: e.FACTLINE_LOG_LEVEL,
    rowLevelSecurity: e.FACTLINE_RLS,
    timeouts: {
      ...(e.FACTLINE_STATEMENT_TIMEOUT_MS !== undefined ? { statementMs: e.FACTLINE_STATEMENT_TIMEOUT_MS } : {}),
      ...(e.FACTLINE_LOCK_TIMEOUT_MS !== undefined ? { lockMs: e.FACTLINE_LOCK_TIMEOUT_MS } : {}),
      ...(e.FACTLINE_IDLE_IN_TRANSACTION_TIMEOUT_MS !== undefined ? { idleInTransactionMs: e.FACTLINE_IDLE_IN_TRANSACTION_TIMEOUT_MS } : {}),
    },
  }
}
