import type { AgentInputItem, FunctionTool } from '@openai/agents'
import type { Hono } from 'hono'
import { contextFromHits, prepareMemoryContext, type MemoryContext } from './context/memory-context.js'
import { createRunWithMemory, requireUserId, type ContextRequest, type RunWithMemory } from './context/run-with-memory.js'
import { resolveRecallTrace } from './context/recall-span.js'
import { createCloserStack } from './config/closer-stack.js'
import { createModels, createScheduler, openAISettingsFrom, openDatabase, prepareDatabase, queueConnectionOf, queueSettingsFrom } from './config/components.js'
import { configFromEnv } from './config/env.js'
import { resolveFactlineOptions, type FactlineOptions } from './config/factline-options.js'
import type { FactlineDb } from './db/create-db.js'
import type { TableNameOptions } from './db/table-names.js'
import type { Embedder } from './embed/embedder.js'
import { FactlineError } from './errors.js'
import { importTranscript, type ImportTranscriptInput, type ImportTranscriptResult } from './extraction/import-transcript.js'
import { sweep, type SweepResult } from './extraction/sweep.js'
import { traceExtractionBatches } from './extraction/extraction-trace.js'
import { reindex, type ReindexOptions, type ReindexResult } from './extraction/reindex.js'
import type { Extractor } from './extractors/extractor.js'
import { explainFact, type ExplainOptions, type FactExplanation } from './facts/explain.js'
import type { Fact } from './facts/fact.js'
import { createFactStore, type FactStore } from './facts/fact-store.js'
import { forgetUser, listUserSessionIds, type ForgetUserResult } from './facts/forget-user.js'
import type { InspectorOptions } from './inspect/inspector-app.js'
import { quietLogger } from './logger.js'
import { createExtractionWorker, type ExtractionWorker } from './queue/extraction-worker.js'
import { duplicateRedis, isRedisClient } from './queue/redis-connection.js'
import { recallFacts, type RecalledFact, type RecallOptions } from './recall/recall.js'
import type { ScopeInput } from './scope.js'
import { searchMemory, type SearchHit, type SearchOptions } from './recall/search.js'
import { PostgresSession } from './session/postgres-session.js'
import { createMemoryTools, type MemoryToolsOptions } from './tools/memory-tools.js'

export type { MemoryRunOptions } from './context/run-with-memory.js'

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
  session(sessionId: string, scope: ScopeInput & { historyLimit?: number }): PostgresSession
  /** Facts most relevant to `query` for one user and namespace, best first, with their sources. */
  recall(options: RecallOptions): Promise<RecalledFact[]>
  /** One ranked list over both layers: facts and excerpts of past messages, each with its sources. */
  search(options: SearchOptions): Promise<SearchHit[]>
  /**
   * Brings existing history into a session with the times it was said, then extracts and indexes
   * it (waits for that inline; enqueues it with a queue), so temporal questions see real dates.
   */
  importTranscript(input: ImportTranscriptInput): Promise<ImportTranscriptResult>
  /** Why the agent believes a fact: its source messages (a page, texts capped), history and supersession chain. */
  explain(factId: string, options: ExplainOptions): Promise<FactExplanation>
  /** Forgets one fact and the facts it replaced; `chain: true` also the facts that replaced it (see `FactStore.forget`). */
  forget(factId: string, options: ScopeInput & { chain?: boolean; reason?: string }): Promise<Fact>
  /**
   * Deletes everything stored about a user: sessions, messages, facts, sources and events, and in
   * queue mode their sessions' extraction jobs, deduplication keys and failure records in Redis.
   */
  forgetUser(userId: string): Promise<ForgetUserResult>
  /** Recalls once for a run and returns the filter that puts the facts in the instructions. */
  context(request: ContextRequest & { input: string | AgentInputItem[] }): Promise<MemoryContext>
  /** `run()` from `@openai/agents` with this user's recalled facts in every agent's instructions, traced as `factline.recall`. */
  run: RunWithMemory
  /** SDK tools over one user's memory: `search_memory`, `explain_memory`, `forget_memory` (opt-in, needs approval). */
  tools(options: MemoryToolsOptions): FunctionTool<any, any, any>[]
  /**
   * Waits until extraction has caught up with every turn this memory stored.
   * @throws FactlineError `timeout` after `timeoutMs` (default 30 s); in inline mode, the first extraction error.
   */
  flush(options?: { timeoutMs?: number }): Promise<void>
  /** Re-enqueues every session whose extraction lags its transcript. */
  sweep(): Promise<SweepResult>
  /**
   * Re-embeds every fact and excerpt with this memory's embedder (or `embedder`, then reopen with
   * it), altering the vector columns when its dimension differs, records it, and indexes sessions
   * extracted before the episodic layer. Resumable and idempotent (see `reindex`).
   */
  reindex(options?: ReindexOptions & { embedder?: Embedder }): Promise<ReindexResult>
  /** Starts a BullMQ worker in this process (queue mode only); `close()` stops it. */
  worker(options?: { concurrency?: number; sweepIntervalMs?: number }): Promise<ExtractionWorker>
  /**
   * The inspector (what is remembered about a user, why, and what a run would inject) as a Hono
   * app: mount it (`app.route('/inspect', await memory.inspector())`) or serve its `fetch`.
   * Read-only unless `allowWrites`; without a `token` it answers loopback requests only.
   */
  inspector(options?: InspectorOptions): Promise<Hono>
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
  const resolved = resolveFactlineOptions(options)
  const env = resolved.env === false ? undefined : configFromEnv(resolved.env ?? process.env)
  // FACTLINE_NAMESPACE fills the namespace only when the options leave it out.
  const o = { ...resolved, namespace: options.namespace ?? env?.namespace ?? resolved.namespace }
  const logger = o.logger ?? quietLogger
  const closers = createCloserStack()

  const handle = await openDatabase(o.database, env, {
    tables: o.tables as TableNameOptions | undefined,
    startupWaitMs: o.startupWaitMs,
    logger,
  })
  closers.push(() => handle.close())
  try {
    const { embedder, extractor } = await createModels(handle, openAISettingsFrom(o.openai, env), o)
    await prepareDatabase(handle, embedder, o.createTables, logger)
    const facts = await createFactStore({ db: handle, embedder })
    const queue = queueSettingsFrom(o.queue, env)
    const onBatch = o.tracing.extraction ? traceExtractionBatches(o.tracing) : undefined
    const scheduler = await createScheduler(queue, { handle, extractor, embedder, logger, excerpts: o.excerpts, onBatch })
    closers.push(() => scheduler.close())

    const namespaceOf = (scope: Partial<ScopeInput>) => scope.namespace ?? o.namespace
    const recall = async (request: RecallOptions) =>
      recallFacts(handle, embedder, { namespace: o.namespace, minScore: o.recall.minScore, k: o.recall.k, ...readOptions(request, 'memory.recall') })
    const search = async (request: SearchOptions) =>
      searchMemory(handle, embedder, { namespace: o.namespace, ...readOptions(request, 'memory.search') })
    const context: Memory['context'] = async (request) => {
      const { input, session, callModelInputFilter, traceParent, userId, namespace: ns, ...traced } = requireObject(
        request,
        'memory.context({ userId, input })',
      )
      if (typeof input !== 'string' && !Array.isArray(input)) {
        throw new FactlineError('invalid_argument', 'memory.context needs input: a string or an array of items')
      }
      const scope = { userId, namespace: ns }
      const namespace = scope.namespace ?? session?.namespace ?? o.namespace
      // Before recall or any model sees a word: the session must be this user's (checked here) and
      // stored as theirs (checked by the history read, or else in the search statement itself).
      if (session && (session.userId !== scope.userId || session.namespace !== namespace)) {
        await session.assertOwner({ userId: scope.userId, namespace })
      }
      const sessionId = session ? await session.getSessionId() : undefined
      let searched = false
      const memoryContext = await prepareMemoryContext({
        input,
        recentItems: session && o.context.recentItems > 0 ? await session.getItems(o.context.recentItems) : [],
        // Search, not recall: the block carries excerpts too. The running session's own excerpts are
        // left out, since its history is already in the model's input.
        recall: async (query) => {
          searched = true
          const request = { userId: scope.userId, namespace, query, k: o.context.k, ...(sessionId ? { excludeSessionId: sessionId } : {}) }
          return contextFromHits(await searchMemory(handle, embedder, request, { ownedSessionId: sessionId }))
        },
        block: { maxTokens: o.context.maxTokens, excerptShare: o.context.excerptShare, heading: o.context.heading },
        callModelInputFilter,
        trace: { config: resolveRecallTrace(o.tracing, traced), userId, namespace, sessionId, parent: traceParent },
      })
      // Nothing to search for (an empty input): the stored owner still gets its check.
      if (session && !searched) await session.assertOwner({ userId: scope.userId, namespace })
      return memoryContext
    }

    const memory: Memory = {
      mode: scheduler.mode,
      db: handle,
      embedder,
      extractor,
      facts,
      session: (sessionId, scopeInput) => {
        // No scope at all is "no user" (unknown_user), as an empty one is.
        const scope = requireObject(scopeInput ?? ({} as typeof scopeInput), 'memory.session(id, { userId })')
        return new PostgresSession({
          sessionId,
          userId: requireUserId(scope?.userId, 'memory.session(id, { userId }) needs a non-empty userId: a session belongs to one user'),
          namespace: namespaceOf(scope),
          ...(scope.historyLimit !== undefined ? { historyLimit: scope.historyLimit } : {}),
          db: handle,
          onItemsAdded: (event) => scheduler.onItemsAdded(event),
          logger,
        })
      },
      recall,
      search,
      importTranscript: (input) => {
        const i = requireObject(input, 'memory.importTranscript({ sessionId, userId, items })')
        return importTranscript(handle, scheduler, { ...i, namespace: i.namespace ?? o.namespace })
      },
      explain: async (factId, optionsInput) => {
        const options = requireObject(optionsInput, 'memory.explain(factId, { userId })')
        return explainFact(handle, factId, { ...options, namespace: namespaceOf(options) })
      },
      forget: async (factId, optionsInput) => {
        const { userId, chain, reason, ...scope } = requireObject(optionsInput, 'memory.forget(factId, { userId })')
        return facts.forget({ id: factId, userId, namespace: namespaceOf(scope), chain, reason })
      },
      async forgetUser(userId) {
        // Queue mode: the jobs in Redis name the sessions, so read their ids before they are deleted.
        const sessionIds = scheduler.forgetSessions ? await listUserSessionIds(handle, userId) : []
        const removed = await forgetUser(handle, userId)
        await scheduler.forgetSessions?.(sessionIds)
        return removed
      },
      context,
      run: createRunWithMemory(context, o.namespace),
      tools: (toolOptions) => createMemoryTools({ handle, facts, search: (scope, query) => search({ ...scope, query, k: o.context.k }) }, toolOptions, o.namespace),
      flush: (flushOptions) => scheduler.flush(flushOptions),
      sweep: () => sweep(handle.db, scheduler, { logger }),
      reindex: ({ embedder: target = embedder, ...reindexOptions } = {}) =>
        reindex(handle, target, { ...reindexOptions, excerpts: o.excerpts, logger }),
      async worker(workerOptions = {}) {
        if (!queue) {
          throw new FactlineError('invalid_config', 'memory.worker() needs a queue: pass queue: { url } or { cluster }, or set REDIS_URL or REDIS_CLUSTER_NODES')
        }
        // Workers block on Redis, so they need their own connection; one we duplicate is ours to close.
        const connection = queueConnectionOf(queue)
        const duplicate = isRedisClient(connection) ? duplicateRedis(connection, 'worker') : undefined
        if (duplicate) closers.push(() => void duplicate.disconnect())
        const worker = await createExtractionWorker({
          db: handle,
          extractor,
          embedder,
          connection: duplicate ?? connection,
          queueName: queue.name,
          excerpts: o.excerpts,
          logger,
          onBatch,
          ...workerOptions,
        })
        closers.push(() => worker.close())
        return worker
      },
      async inspector(inspectorOptions) {
        // Loaded on first use: apps that never inspect never load hono.
        const [{ createInspector }, { pipelineOf }] = await Promise.all([import('./inspect/inspector-app.js'), import('./inspect/pipeline.js')])
        const settings = { k: o.context.k, maxTokens: o.context.maxTokens, excerptShare: o.context.excerptShare, namespace: o.namespace }
        return createInspector({ memory, pipeline: pipelineOf(scheduler), settings, logger }, inspectorOptions)
      },
      close: () => closers.close(),
    }
    return memory
  } catch (error) {
    await closers.close().catch(() => {})
    throw error
  }
}

/** The options object a method needs; JavaScript callers can pass anything. */
function requireObject<T>(value: T, call: string): T & object {
  if (typeof value !== 'object' || value === null) {
    throw new FactlineError('invalid_argument', `${call} needs an options object, got ${value === null ? 'null' : typeof value}`)
  }
  return value
}

/** A shallow copy of a caller's options; a getter that throws becomes invalid_argument without its message. */
function readOptions<T>(value: T, call: string): T {
  const options = requireObject(value, `${call}({ userId, query })`)
  try {
    return { ...options }
  } catch {
    throw new FactlineError('invalid_argument', `${call}: the options could not be read (a getter threw)`)
  }
}
