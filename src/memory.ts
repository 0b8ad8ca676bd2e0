import {
  run as runAgent,
  RunState,
  type Agent,
  type AgentInputItem,
  type CallModelInputFilter,
  type NonStreamRunOptions,
  type RunResult,
  type StreamedRunResult,
  type StreamRunOptions,
} from '@openai/agents'
import type OpenAI from 'openai'
import type { Redis } from 'ioredis'
import { z } from 'zod'
import { configFromEnv } from './config/env.js'
import { ContextBlockOptionsSchema } from './context/context-block.js'
import { prepareMemoryContext, type MemoryContext } from './context/memory-context.js'
import { createDb, DatabaseOptionsSchema, type DatabaseOptions, type FactlineDb } from './db/create-db.js'
import { assertMigrated, migrate, readEmbeddingDimensions } from './db/migrate.js'
import type { TableNameOptions } from './db/table-names.js'
import type { Embedder } from './embed/embedder.js'
import { DEFAULT_HASH_DIMENSIONS, HashEmbedder } from './embed/hash-embedder.js'
import { OpenAIEmbedder } from './embed/openai-embedder.js'
import { FactlineError, isFactlineError, parseOrThrow } from './errors.js'
import type { Extractor } from './extractors/extractor.js'
import { OpenAIExtractor } from './extractors/openai/openai-extractor.js'
import { RuleExtractor } from './extractors/rules/rule-extractor.js'
import { explainFact, type FactExplanation } from './facts/explain.js'
import { createFactStore, type FactStore } from './facts/fact-store.js'
import { forgetUser, type ForgetUserResult } from './facts/forget-user.js'
import { quietLogger, type Logger } from './logger.js'
import { createExtractionQueue, type ExtractionQueue } from './queue/extraction-queue.js'
import { createExtractionWorker, type ExtractionWorker } from './queue/extraction-worker.js'
import { createInlineExtraction, type InlineExtraction } from './extraction/inline-scheduler.js'
import { sweep, type SweepResult } from './extraction/sweep.js'
import { recallFacts, type RecalledFact, type RecallOptions } from './recall/recall.js'
import { DEFAULT_NAMESPACE, PostgresSession, type ItemsAddedEvent } from './session/postgres-session.js'

const isObject = (v: unknown) => typeof v === 'object' && v !== null
const isRedis = (v: unknown): v is Redis => isObject(v) && typeof (v as Redis).duplicate === 'function'
const isOpenAI = (v: unknown): v is OpenAI => isObject(v) && isObject((v as OpenAI).chat) && isObject((v as OpenAI).embeddings)

/** Options of {@link createMemory}. Every section is optional; absent ones come from the environment. */
export const FactlineOptionsSchema = z.strictObject({
  /** Where data lives (see `DatabaseOptions`). Absent: `DATABASE_URL`, else embedded PGlite in `.factline/pglite`. */
  database: DatabaseOptionsSchema,
  /**
   * The extraction queue: `{ url }` or `{ connection }` (your ioredis client); `false` runs extraction
   * in process even when `REDIS_URL` is set. Absent: `REDIS_URL`, else in process.
   */
  queue: z
    .union([
      z.strictObject({ url: z.string().min(1), name: z.string().min(1).optional() }),
      z.strictObject({ connection: z.custom<Redis>(isRedis, 'expected an ioredis client'), name: z.string().min(1).optional() }),
      z.literal(false),
    ])
    .optional(),
  /**
   * OpenAI (or a compatible server) for extraction and embeddings: `{ apiKey, baseURL? }` or
   * `{ client }`; `false` stays offline even when `OPENAI_API_KEY` is set. Absent: `OPENAI_API_KEY`
   * (+ `OPENAI_BASE_URL`), else the offline rule extractor and hashing embedder.
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
  namespace: z.string().min(1).max(256).default(DEFAULT_NAMESPACE),
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
  context: z
    .strictObject({
      ...ContextBlockOptionsSchema.shape,
      /**
       * Also recall with the last N transcript items (one extra read per run). @defaultValue 0
       */
      recentItems: z.number().int().min(0).max(50).default(0),
    })
    .prefault({}),
  /** Environment to fill absent sections from; `false` ignores the environment. @defaultValue process.env */
  env: z.union([z.record(z.string(), z.string().optional()), z.literal(false)]).optional(),
  logger: z.custom<Logger>(isObject).optional(),
})
export type FactlineOptions = Omit<z.input<typeof FactlineOptionsSchema>, 'database' | 'tables'> & {
  database?: DatabaseOptions
  tables?: TableNameOptions
}
export type FactlineConfig = z.output<typeof FactlineOptionsSchema>

/** Who a run or a call is about. */
export interface MemoryScope {
  userId: string
  /** @defaultValue the memory's namespace */
  namespace?: string | undefined
}

/** Options for `memory.run`: the SDK's run options plus who the run is for (taken from the session when it is one of ours). */
export type MemoryRunOptions<TContext, TAgent extends Agent<any, any>> = (
  | NonStreamRunOptions<TContext, TAgent>
  | StreamRunOptions<TContext, TAgent>
) &
  Partial<MemoryScope>

/** The object `createMemory` returns: sessions, recall, provenance, extraction control. */
export interface Memory {
  /** How extraction runs: `queue` (BullMQ workers) or `inline` (in this process). */
  readonly mode: 'queue' | 'inline'
  readonly db: FactlineDb
  readonly embedder: Embedder
  readonly extractor: Extractor
  /** Direct access to the fact store (add, list, update, supersede, retract, forget). */
  readonly facts: FactStore
  /** A transcript session for one user's conversation; its turns feed fact extraction. */
  session(sessionId: string, scope: MemoryScope & { historyLimit?: number }): PostgresSession
  /** Facts most relevant to `query` for one user and namespace, best first, with their sources. */
  recall(options: RecallOptions): Promise<RecalledFact[]>
  /** Why the agent believes a fact: its source messages, history and supersession chain. */
  explain(factId: string, scope: MemoryScope): Promise<FactExplanation>
  /** Deletes everything stored about a user: sessions, messages, facts, sources and events. */
  forgetUser(userId: string): Promise<ForgetUserResult>
  /** Recalls once for a run and returns the filter that puts the facts in the instructions. */
  context(
    request: MemoryScope & {
      input: string | AgentInputItem[]
      session?: PostgresSession
      /** A filter of your own, run before the memory one. */
      callModelInputFilter?: CallModelInputFilter | undefined
    },
  ): Promise<MemoryContext<RecalledFact>>
  /** `run()` from `@openai/agents` with this user's recalled facts in every agent's instructions. */
  run<TAgent extends Agent<any, any>, TContext = undefined>(
    agent: TAgent,
    input: string | AgentInputItem[] | RunState<TContext, TAgent>,
    options: NonStreamRunOptions<TContext, TAgent> & Partial<MemoryScope>,
  ): Promise<RunResult<TContext, TAgent>>
  run<TAgent extends Agent<any, any>, TContext = undefined>(
    agent: TAgent,
    input: string | AgentInputItem[] | RunState<TContext, TAgent>,
    options: StreamRunOptions<TContext, TAgent> & Partial<MemoryScope>,
  ): Promise<StreamedRunResult<TContext, TAgent>>
  /**
   * Waits until extraction has caught up with every turn this memory stored.
   * @throws FactlineError `timeout` after `timeoutMs` (default 30 s); in inline mode, the first extraction error.
   */
  flush(options?: { timeoutMs?: number }): Promise<void>
  /** Re-enqueues every session whose extraction lags its transcript. */
  sweep(): Promise<SweepResult>
  /** Starts a BullMQ worker in this process (queue mode only); `close()` stops it. */
  worker(options?: { concurrency?: number; sweepIntervalMs?: number }): Promise<ExtractionWorker>
  /** Stops workers and extraction, and closes what `createMemory` opened (never what you passed in). */
  close(): Promise<void>
}

/**
 * Sets up factline: the database, fact extraction (queued or in process), recall and the context
 * builder, from explicit options or the environment. With nothing configured it runs fully
 * offline on embedded PGlite.
 *
 * @example
 * ```ts
 * const memory = await createMemory()                      // embedded, offline
 * const session = memory.session('chat-1', { userId: 'ada' })
 * await memory.run(agent, 'I moved to Lisbon.', { session })
 * await memory.flush()                                     // extraction caught up
 * const [fact] = await memory.recall({ userId: 'ada', query: 'where does she live?' })
 * const why = await memory.explain(fact!.id, { userId: 'ada' })
 * await memory.close()
 * ```
 * @throws FactlineError `invalid_config`, `dimension_mismatch`, `migration_required`.
 */
export async function createMemory(options: FactlineOptions = {}): Promise<Memory> {
  const o = parseOrThrow(FactlineOptionsSchema, options, 'invalid_config', 'Invalid factline options')
  const env = o.env === false ? undefined : configFromEnv(o.env ?? process.env)
  const logger = o.logger ?? quietLogger
  const closers: Array<() => Promise<void>> = []
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {})
  }

  const databaseOptions: DatabaseOptions =
    o.database ?? (env?.databaseUrl ? { url: env.databaseUrl } : env?.dataDir ? { dataDir: env.dataDir } : undefined)
  const handle = await createDb(databaseOptions, o.tables as TableNameOptions | undefined)
  closers.push(() => handle.close())

  try {
    const openai = resolveOpenAI(o.openai, env)
    const embedder = o.embedder ?? (openai ? new OpenAIEmbedder(openai.embedder) : await offlineEmbedder(handle))
    const extractor = o.extractor ?? (openai ? new OpenAIExtractor(openai.extractor) : new RuleExtractor())

    if (o.createTables) await migrate(handle, { embeddingDimensions: embedder.dimensions })
    else await assertMigrated(handle)
    const facts = await createFactStore({ db: handle, embedder })

    const queueOption = o.queue ?? (env?.redisUrl ? { url: env.redisUrl } : false)
    const deps = { db: handle.db, extractor, embedder, logger }
    let queue: ExtractionQueue | undefined
    let inline: InlineExtraction | undefined
    if (queueOption) {
      queue = await createExtractionQueue({
        connection: 'connection' in queueOption ? queueOption.connection : { url: queueOption.url },
        queueName: queueOption.name,
        logger,
      })
      closers.push(() => queue!.close())
    } else {
      inline = createInlineExtraction(deps)
      closers.push(() => inline!.close())
    }
    const target = (queue ?? inline)!

    // Sessions written through this memory and the newest message each has, for flush().
    const written = new Map<string, number>()
    const onItemsAdded = async (event: ItemsAddedEvent) => {
      if (event.userId === null) return
      written.set(event.sessionId, Math.max(written.get(event.sessionId) ?? 0, event.lastMessageId))
      if (inline) inline.onItemsAdded(event)
      else await queue!.onItemsAdded(event)
    }

    const namespaceOf = (scope: Partial<MemoryScope>) => scope.namespace ?? o.namespace
    const recall = (request: RecallOptions) =>
      recallFacts(handle, embedder, { namespace: o.namespace, minScore: o.recall.minScore, k: o.recall.k, ...request })

    const context: Memory['context'] = async ({ input, session, callModelInputFilter, ...scope }) => {
      const recentItems = session && o.context.recentItems > 0 ? await session.getItems(o.context.recentItems) : []
      return prepareMemoryContext({
        input,
        recentItems,
        recall: (query) => recall({ userId: scope.userId, namespace: namespaceOf(scope), query }),
        block: { maxTokens: o.context.maxTokens, heading: o.context.heading },
        callModelInputFilter,
      })
    }

    const memory: Memory = {
      mode: queue ? 'queue' : 'inline',
      db: handle,
      embedder,
      extractor,
      facts,
      session(sessionId, scope) {
        return new PostgresSession({
          sessionId,
          userId: scope.userId,
          namespace: namespaceOf(scope),
          ...(scope.historyLimit !== undefined ? { historyLimit: scope.historyLimit } : {}),
          db: handle,
          onItemsAdded,
          logger,
        })
      },
      recall,
      explain: (factId, scope) => explainFact(handle, factId, { userId: scope.userId, namespace: namespaceOf(scope) }),
      forgetUser: (userId) => forgetUser(handle, userId),
      context,
      run: (async (
        agent: Agent<any, any>,
        input: string | AgentInputItem[] | RunState<any, any>,
        runOptions: MemoryRunOptions<any, any>,
      ) => {
        const { userId: givenUser, namespace: givenNamespace, ...sdkOptions } = runOptions
        const session = sdkOptions.session instanceof PostgresSession ? sdkOptions.session : undefined
        const userId = givenUser ?? session?.userId ?? undefined
        if (!userId) {
          throw new FactlineError(
            'unknown_user',
            'memory.run needs to know whose memory to use: pass a session from memory.session(id, { userId }) or a userId option',
          )
        }
        const namespace = givenNamespace ?? session?.namespace ?? o.namespace
        // A resumed run (after a tool approval) has no new input: recall with the latest turn instead.
        const resumed = input instanceof RunState
        const latest = resumed && session ? await session.getItems(4) : []
        const { callModelInputFilter } = await context({
          userId,
          namespace,
          input: resumed ? latest : input,
          callModelInputFilter: sdkOptions.callModelInputFilter,
          ...(session ? { session } : {}),
        })
        return runAgent(agent, input, { ...sdkOptions, callModelInputFilter } as never)
      }) as Memory['run'],
      async flush({ timeoutMs = 30_000 } = {}) {
        if (inline) return inline.flush()
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const lagging = await laggingSessions(handle, written)
          if (lagging.length === 0) return
          if (Date.now() > deadline) {
            throw new FactlineError(
              'timeout',
              `extraction has not caught up after ${timeoutMs} ms for ${lagging.length} session(s); is a worker running (factline worker)?`,
              { details: { sessions: lagging } },
            )
          }
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      },
      sweep: () => sweep(handle, target, { logger }),
      async worker(workerOptions = {}) {
        if (!queueOption) {
          throw new FactlineError('invalid_config', 'memory.worker() needs a queue: pass queue: { url } or set REDIS_URL')
        }
        // Workers block on Redis, so they need their own connection; one we duplicate is ours to close.
        const duplicate = 'connection' in queueOption ? queueOption.connection.duplicate({ maxRetriesPerRequest: null }) : undefined
        if (duplicate) closers.push(async () => void duplicate.disconnect())
        const worker = await createExtractionWorker({
          db: handle,
          extractor,
          embedder,
          connection: 'url' in queueOption ? { url: queueOption.url } : duplicate!,
          queueName: queueOption.name,
          logger,
          ...workerOptions,
        })
        closers.push(() => worker.close())
        return worker
      },
      close: closeAll,
    }
    return memory
  } catch (error) {
    await closeAll()
    throw error
  }
}

/** The hashing embedder works at any dimension, so offline it adopts the database's (384 when new). */
async function offlineEmbedder(handle: FactlineDb): Promise<HashEmbedder> {
  const stored = await readEmbeddingDimensions(handle).catch((error: unknown) => {
    if (isFactlineError(error, 'migration_required')) return undefined
    throw error
  })
  return new HashEmbedder({ dimensions: stored ?? DEFAULT_HASH_DIMENSIONS })
}

function resolveOpenAI(option: FactlineConfig['openai'], env: ReturnType<typeof configFromEnv> | undefined) {
  if (option === false) return undefined
  const settings =
    option ??
    (env?.openaiApiKey
      ? {
          apiKey: env.openaiApiKey,
          ...(env.openaiBaseUrl ? { baseURL: env.openaiBaseUrl } : {}),
          ...(env.extractionModel ? { extractionModel: env.extractionModel } : {}),
          ...(env.embeddingModel ? { embeddingModel: env.embeddingModel } : {}),
          ...(env.embeddingDimensions ? { embeddingDimensions: env.embeddingDimensions } : {}),
        }
      : undefined)
  if (!settings) return undefined
  const { extractionModel, embeddingModel, embeddingDimensions, ...connection } = settings
  return {
    embedder: { ...connection, ...(embeddingModel ? { model: embeddingModel } : {}), ...(embeddingDimensions ? { dimensions: embeddingDimensions } : {}) },
    extractor: { ...connection, ...(extractionModel ? { model: extractionModel } : {}) },
  } as { embedder: ConstructorParameters<typeof OpenAIEmbedder>[0]; extractor: ConstructorParameters<typeof OpenAIExtractor>[0] }
}

async function laggingSessions(handle: FactlineDb, written: Map<string, number>): Promise<string[]> {
  if (written.size === 0) return []
  const rows = await handle.db
    .selectFrom('agent_sessions')
    .select(['session_id', 'extracted_through'])
    .where('session_id', 'in', [...written.keys()])
    .execute()
  const through = new Map(rows.map((r) => [r.session_id, Number(r.extracted_through)]))
  // A session deleted meanwhile (forgetUser) has nothing left to extract.
  return [...written].filter(([id, last]) => through.has(id) && (through.get(id) ?? 0) < last).map(([id]) => id)
}
