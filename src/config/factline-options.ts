import type OpenAI from 'openai'
import type { Cluster, Redis } from 'ioredis'
import { z } from 'zod'
import { ContextBlockOptionsSchema } from '../context/context-block.js'
import { DatabaseOptionsSchema, type DatabaseOptions } from '../db/create-db.js'
import type { TableNameOptions } from '../db/table-names.js'
import type { Embedder } from '../embed/embedder.js'
import { parseOrThrow } from '../errors.js'
import type { Extractor } from '../extractors/extractor.js'
import { adaptLogger, type Logger } from '../logger.js'
import { ExcerptIndexOptionsSchema } from '../recall/excerpt-chunks.js'
import { RedisClusterNodesSchema } from '../queue/redis-cluster-nodes.js'
import { DEFAULT_NAMESPACE, MAX_NAMESPACE_LENGTH } from '../scope.js'
import { TracingOptionsSchema } from '../trace-options.js'

const isObject = (v: unknown) => typeof v === 'object' && v !== null
const isRedis = (v: unknown): v is Redis | Cluster => isObject(v) && typeof (v as Redis).duplicate === 'function'
const isOpenAI = (v: unknown): v is OpenAI => isObject(v) && isObject((v as OpenAI).chat) && isObject((v as OpenAI).embeddings)

const queueFields = {
  /** Queue name. @defaultValue `factline-extraction-<database tag>`: each database its own queue, so deployments can share a Redis. */
  name: z.string().min(1).optional(),
  /** Seconds a job that ran out of attempts is kept in Redis (its failure reason is sanitised). @defaultValue 604800 (7 days) */
  failedJobRetentionSeconds: z.number().int().positive().optional(),
  /**
   * When Redis does not answer `createMemory`'s startup ping: `'fail'` with `queue_unavailable`, or
   * `'warn'` (logged as an error) and carry on, extraction waiting for Redis. @defaultValue 'fail'
   */
  onUnavailable: z.enum(['fail', 'warn']).optional(),
}

/** Options of {@link createMemory}. Every section is optional; absent ones come from the environment. */
export const FactlineOptionsSchema = z.strictObject({
  /**
   * Where data lives (see `DatabaseOptions`), plus `rowLevelSecurity` (scope every user call with
   * `factline.user_id`) and `timeouts` (server-side, for `{ url }`). Absent: `DATABASE_URL` (and
   * `FACTLINE_RLS`, `FACTLINE_*_TIMEOUT_MS`), else embedded PGlite in `.factline/pglite`.
   */
  database: DatabaseOptionsSchema,
  /**
   * The extraction queue: `{ url }`, `{ cluster: ['redis://host:7000', …] }` (a Redis Cluster by its
   * startup nodes) or `{ connection }` (your ioredis client or `Cluster`); `false` runs extraction in
   * process even when `REDIS_URL` is set. Absent: `REDIS_URL` or `REDIS_CLUSTER_NODES`, else in
   * process. On a cluster each queue's keys carry a hash tag (`bull:{name}:…`).
   */
  queue: z
    .union([
      z.strictObject({ url: z.string().min(1).refine((u) => URL.canParse(u), 'expected a redis:// URL'), ...queueFields }),
      z.strictObject({ cluster: RedisClusterNodesSchema, ...queueFields }),
      z.strictObject({ connection: z.custom<Redis | Cluster>(isRedis, 'expected an ioredis client (Redis or Cluster)'), ...queueFields }),
      z.literal(false),
    ])
    .optional(),
  /**
   * OpenAI (or a compatible server) for extraction and embeddings: `{ apiKey, baseURL? }` or
   * `{ client }`; `false` stays offline even when `OPENAI_API_KEY` is set. Absent: `OPENAI_API_KEY`
   * (+ `OPENAI_BASE_URL`), else the offline NLP extractor and hashing embedder.
   */
  openai: z
    .union([
      z.strictObject({
        apiKey: z.string().min(1),
        baseURL: z.string().url().optional(),
        extractionModel: z.string().min(1).optional(),
        embeddingModel: z.string().min(1).optional(),
        embeddingDimensions: z.number().int().min(1).optional(),
      }),
      z.strictObject({
        client: z.custom<OpenAI>(isOpenAI, 'expected an OpenAI client'),
        extractionModel: z.string().min(1).optional(),
        embeddingModel: z.string().min(1).optional(),
        embeddingDimensions: z.number().int().min(1).optional(),
      }),
      z.literal(false),
    ])
    .optional(),
  /** Your own embedder; overrides the one `openai` would choose. */
  embedder: z.custom<Embedder>((v) => isObject(v) && typeof (v as Embedder).embed === 'function').optional(),
  /** Your own extractor; overrides the one `openai` would choose. */
  extractor: z.custom<Extractor>((v) => isObject(v) && typeof (v as Extractor).extract === 'function').optional(),
  /** Namespace used when a call names none. @defaultValue 'default' */
  namespace: z.string().min(1).max(MAX_NAMESPACE_LENGTH).default(DEFAULT_NAMESPACE),
  /** Physical table names, when the defaults do not suit. */
  tables: z.record(z.string(), z.string()).optional(),
  /**
   * Create or upgrade the tables at startup. Turn off in production and run `factline migrate`
   * on deploy instead; startup then only checks that migrations were applied. @defaultValue true
   */
  createTables: z.boolean().default(true),
  recall: z
    .strictObject({
      /** Facts recalled per run. @defaultValue 8 */
      k: z.number().int().min(1).max(100).default(8),
      /** Cosine-similarity floor for facts found only by vector search. @defaultValue 0.2 */
      minScore: z.number().min(-1).max(1).default(0.2),
    })
    .prefault({}),
  /** How transcript messages are indexed as excerpts for `memory.search` (user messages by default). */
  excerpts: ExcerptIndexOptionsSchema.prefault({}),
  context: z
    .strictObject({
      ...ContextBlockOptionsSchema.shape,
      /** Hits (facts and excerpts) searched per run before the block's token budget cuts them. @defaultValue 10 */
      k: z.number().int().min(1).max(100).default(10),
      /**
       * Also recall with the last N transcript items (one extra read per run). @defaultValue 0
       */
      recentItems: z.number().int().min(0).max(50).default(0),
    })
    .prefault({}),
  /** What factline records in Agents SDK traces: the recall span, extraction traces, how much text. */
  tracing: TracingOptionsSchema.prefault({}),
  /**
   * How long startup waits for an unreachable PostgreSQL, retrying with backoff, before failing
   * with `connection_failed`. @defaultValue 0 (fail at once)
   */
  startupWaitMs: z.number().int().min(0).max(3_600_000).default(0),
  /** Environment to fill absent sections from; `false` ignores the environment. @defaultValue process.env */
  env: z.union([z.record(z.string(), z.string().optional()), z.literal(false)]).optional(),
  /** Where factline logs: `(message, fields)` like console or winston; a pino logger is adapted. @defaultValue quiet */
  logger: z.custom<Logger>(isObject).transform(adaptLogger).optional(),
})
export type FactlineOptions = Omit<z.input<typeof FactlineOptionsSchema>, 'database' | 'tables'> & {
  database?: DatabaseOptions
  tables?: TableNameOptions
}
export type FactlineConfig = z.output<typeof FactlineOptionsSchema>

/** Validates `createMemory` options once; the result is the single source of every default. */
export function resolveFactlineOptions(options: FactlineOptions): FactlineConfig {
  return parseOrThrow(FactlineOptionsSchema, options, 'invalid_config', 'Invalid factline options')
}
