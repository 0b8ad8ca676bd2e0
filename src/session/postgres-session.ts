import type {
  AgentInputItem,
  Session,
  SessionHistoryRewriteArgs,
  SessionHistoryRewriteAwareSession,
  SessionHistoryTransactionArgs,
  SessionHistoryTransactionAwareSession,
} from '@openai/agents'
import type { Kysely } from 'kysely'
import { isConnectionError } from '../db/connection-errors.js'
import { createDb, isDistributedHandle, type FactlineDb } from '../db/create-db.js'
import { migrate, migrationRequired } from '../db/migrate.js'
import { retryRead } from '../db/retry-read.js'
import { isRowSecurityViolation } from '../db/row-level-security.js'
import { userTransaction, withUserScope } from '../db/user-scope.js'
import type { Database } from '../db/schema.js'
import type { TableNameOptions } from '../db/table-names.js'
import { FactlineError, parseOrThrow } from '../errors.js'
import { quietLogger, type Logger } from '../logger.js'
import { assertUserId, DEFAULT_NAMESPACE, MAX_NAMESPACE_LENGTH } from '../scope.js'
import { assertId } from '../assert-id.js'
import {
  applyParsedTransaction,
  deleteOperations,
  keyedAppend,
  operationReused,
  parseHistoryMutations,
  type ParsedHistoryTransaction,
  parseHistoryTransaction,
  replaceFunctionCalls,
} from './history-transaction.js'
import { encodeItems, type ItemLimits } from './item-codec.js'
import { PostgresSessionOptionsSchema, type ItemsAddedEvent, type PostgresSessionOptions } from './session-options.js'
import { trimHistory } from './history-window.js'
import { outcomeUnknown, readIdempotencyKey, type AddItemsOptions } from './write-outcome.js'
import {
  appendOwnedItems,
  appendOwnedItemsOnce,
  deleteAllItems,
  deleteNewestItem,
  insertItems,
  readOwnedItems,
  type InsertedRange,
} from './messages-table.js'
import {
  isOwnedBy,
  lockOwnedSession,
  readSessionOwner,
  sessionLookupFor,
  sessionConflict,
  touchOwnedSession,
  upsertSession,
  type SessionOwner,
  type StoredOwner,
} from './sessions-table.js'

export { PostgresSessionOptionsSchema, type ItemsAddedEvent, type PostgresSessionOptions } from './session-options.js'

/**
 * A `Session` for `@openai/agents` that keeps each conversation's items in PostgreSQL
 * (or embedded PGlite). Works on its own: no Redis, no facts, no embeddings.
 *
 * Every method is one statement (compaction and history transactions excepted), so a turn costs
 * one read and one write.
 * Concurrent writers to one session are serialised on the session row, so batches stay contiguous.
 *
 * @example
 * ```ts
 * const session = new PostgresSession({ sessionId: 'chat-42', userId: 'u1', database: { pool } })
 * const result = await run(agent, 'Hello', { session })
 * ```
 * Every method checks that the stored session belongs to this handle's user and namespace and
 * throws `session_conflict` otherwise, before any item is returned or changed.
 * @throws FactlineError `empty_id` / `invalid_argument` for a bad session id, `invalid_config` for bad options.
 */
export class PostgresSession implements SessionHistoryTransactionAwareSession, SessionHistoryRewriteAwareSession {
  readonly #sessionId: string
  readonly #userId: string | null
  readonly #namespace: string
  readonly #owner: SessionOwner
  readonly #limits: ItemLimits
  readonly #historyLimit: number | undefined
  readonly #onItemsAdded: ((event: ItemsAddedEvent) => unknown) | undefined
  readonly #logger: Logger
  readonly #open: () => Promise<FactlineDb>
  readonly #ownsDb: boolean
  #ready: Promise<FactlineDb> | undefined

  constructor(options: PostgresSessionOptions) {
    const o = parseOrThrow(PostgresSessionOptionsSchema, options, 'invalid_config', 'Invalid PostgresSession options')
    // Ids go through the one validator (not zod) so every entry point refuses them alike.
    assertId('sessionId', o.sessionId, 512)
    if (o.userId !== undefined) assertUserId(o.userId)
    if (o.namespace !== undefined) assertId('namespace', o.namespace, MAX_NAMESPACE_LENGTH)
    this.#sessionId = o.sessionId
    this.#userId = o.userId ?? null
    this.#namespace = o.namespace ?? DEFAULT_NAMESPACE
    this.#owner = { sessionId: this.#sessionId, userId: this.#userId, namespace: this.#namespace }
    this.#limits = { maxItemBytes: o.maxItemBytes, maxBatchItems: o.maxBatchItems, maxBatchBytes: o.maxBatchBytes }
    this.#historyLimit = o.historyLimit
    this.#onItemsAdded = o.onItemsAdded
    this.#logger = o.logger ?? quietLogger
    if (o.db && o.database) {
      throw new FactlineError('invalid_config', 'Pass either `db` (a shared handle) or `database` options, not both')
    }
    const shared = o.db
    this.#ownsDb = !shared
    const createTables = o.createTables
    this.#open = async () => {
      const handle = shared ?? (await createDb(o.database, o.tables as TableNameOptions | undefined))
      if (createTables) await migrate(handle, { rowLevelSecurity: handle.rowLevelSecurity === true })
      return handle
    }
  }

  /**
   * Opens a session on the process-wide pool for `url`, shared with every other session and memory
   * opened from the same URL (at most `poolSize` connections, default 10). `close()` releases this
   * session's lease and ends the pool with its last user; a short script may skip it: idle
   * connections never keep the process alive.
   */
  static fromUrl(
    sessionId: string,
    options: Omit<PostgresSessionOptions, 'sessionId' | 'database' | 'db'> & { url: string },
  ): PostgresSession {
    const { url, ...rest } = options
    return new PostgresSession({ ...rest, sessionId, database: { url } })
  }

  /** The session id. Never touches the database: the runner calls this often. */
  async getSessionId(): Promise<string> {
    return this.#sessionId
  }

  /** The user this session belongs to, as configured. */
  get userId(): string | null {
    return this.#userId
  }

  get namespace(): string {
    return this.#namespace
  }

  /**
   * The latest `limit` items, oldest first (all of them when `limit` is omitted, or the newest
   * `historyLimit` when that option is set); [] for a session that does not exist yet.
   * @throws FactlineError `invalid_argument` when `limit` is negative or not an integer;
   * `session_conflict` when the session belongs to another user or namespace.
   */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new FactlineError('invalid_argument', `limit must be a non-negative integer, got ${String(limit)}`)
    }
    if (limit === 0) return []
    // A limit past any possible row count asks for everything (PostgreSQL's bigint cannot hold 1e20).
    if (limit !== undefined && limit > Number.MAX_SAFE_INTEGER) return this.#readItems(undefined)
    if (limit === undefined && this.#historyLimit !== undefined) {
      // A plain count cut could start the history with a tool result whose call was cut off.
      return trimHistory(await this.getItems(this.#historyLimit), { maxItems: this.#historyLimit })
    }
    return this.#readItems(limit)
  }

  async #readItems(limit: number | undefined): Promise<AgentInputItem[]> {
    const handle = await this.#handle()
    const lookup = sessionLookupFor(await this.#distributed(handle))
    const read = await this.#run(
      retryRead(() => withUserScope(handle, this.#userId, (db) => readOwnedItems(db, this.#owner, limit, lookup)), handle.target),
    )
    if (!read.owned) throw this.#conflict()
    return read.items
  }

  /**
   * Appends items in order, atomically: one statement upserts the session row (taking its lock,
   * which orders concurrent writers) and inserts every item. An empty list writes nothing.
   *
   * With `idempotencyKey`, the write is recorded under that key (like a history transaction's
   * operation id): repeating the call with the same key and items after an unknown outcome
   * stores them once and returns normally. `clearSession` forgets the keys.
   * @throws FactlineError `invalid_item` (a value JSON would not keep, named by path),
   * `content_too_large` (an item over `maxItemBytes`, or a batch over `maxBatchItems` /
   * `maxBatchBytes`), `session_conflict` (the session belongs to another user or namespace, or the
   * key was used for other items); nothing is written in any of these cases.
   * `connection_failed` with `details.outcome: 'unknown'` when the connection dropped while the
   * write may have committed: retry with the same `idempotencyKey`.
   */
  async addItems(items: AgentInputItem[], options?: AddItemsOptions): Promise<void> {
    const encoded = encodeItems(items, this.#limits)
    const key = readIdempotencyKey(options)
    if (key !== undefined) return this.#appendOnce(keyedAppend(key, encoded))
    if (encoded.length === 0) return
    const handle = await this.#handle()
    const lookup = sessionLookupFor(await this.#distributed(handle))
    const added = await this.#write(
      withUserScope(handle, this.#userId, async (db) => {
        // A policy cannot see a session row made by the same statement: under RLS, create it first.
        if (handle.rowLevelSecurity && !(await upsertSession(db, this.#owner))) return undefined
        return appendOwnedItems(db, this.#owner, encoded, lookup)
      }),
    )
    if (!added) throw this.#conflict()
    await this.#notifyItemsAdded(added.owner, added.inserted)
  }

  /** A keyed `addItems`: one statement, stored at most once per key (see `appendOwnedItemsOnce`). */
  async #appendOnce(tx: Extract<ParsedHistoryTransaction, { type: 'append_items' }>): Promise<void> {
    const handle = await this.#handle()
    const lookup = sessionLookupFor(await this.#distributed(handle))
    const done = await this.#write(
      withUserScope(handle, this.#userId, async (db) => {
        if (handle.rowLevelSecurity && !(await upsertSession(db, this.#owner))) return undefined
        return appendOwnedItemsOnce(db, this.#owner, tx.items, { id: tx.operationId, record: tx.canonical }, lookup)
      }),
    )
    if (!done) throw this.#conflict()
    if (done.priorRecord !== null && done.priorRecord !== tx.canonical) throw operationReused(this.#sessionId, tx.operationId)
    if (done.inserted) await this.#notifyItemsAdded(done.owner, done.inserted)
  }

  /**
   * Removes and returns the newest item, or `undefined` when there is none. Pops serialise on the
   * session row (like appends), so concurrent pops never return the same item and never skip one.
   */
  async popItem(): Promise<AgentInputItem | undefined> {
    const handle = await this.#handle()
    const distributed = await this.#distributed(handle)
    return this.#write(
      userTransaction(handle, this.#userId, async (trx) => {
        // Not SKIP LOCKED: an extraction job citing the newest item holds a key-share lock on it,
        // and skipping would pop the wrong item. Waiting on the session row is correct and rare.
        if (!(await lockOwnedSession(trx, this.#owner))) return this.#refuseIfForeign(trx, distributed)
        return deleteNewestItem(trx, this.#owner, distributed)
      }),
    )
  }

  /**
   * Removes every item of this session. The session row (user, namespace) stays.
   * @throws FactlineError `session_conflict` when the session belongs to another user or namespace.
   */
  async clearSession(): Promise<void> {
    const handle = await this.#handle()
    const distributed = await this.#distributed(handle)
    await this.#write(
      userTransaction(handle, this.#userId, async (trx) => {
        // The update takes the row lock, so the delete sees every committed append.
        if (!(await touchOwnedSession(trx, this.#owner))) return this.#refuseIfForeign(trx, distributed)
        await deleteAllItems(trx, this.#owner, distributed)
        // A cleared session starts over: a transaction applied before the clear applies again.
        await deleteOperations(trx, this.#owner)
      }),
    )
  }

  /**
   * Checks, with one cheap read, that the stored session (if any) belongs to this handle's user
   * and namespace, and, when `scope` is given, that it is the same as this handle's. `memory.run`
   * and `memory.context` call it before recall or the model sees anything.
   * @throws FactlineError `session_conflict`.
   */
  async assertOwner(scope?: { userId: string | null; namespace: string }): Promise<void> {
    if (scope && !isOwnedBy(scope, this.#owner)) throw this.#conflict()
    const handle = await this.#handle()
    const distributed = await this.#distributed(handle)
    await this.#run(retryRead(() => withUserScope(handle, this.#userId, (db) => this.#refuseIfForeign(db, distributed)), handle.target))
  }

  /**
   * Replaces the whole history with `items` (a compaction marker and what it keeps), in one
   * transaction: readers see the old history or the new one, never a mix.
   * @throws FactlineError as `addItems`; on error the old history is untouched.
   */
  async replaceHistoryWithCompaction(items: AgentInputItem[]): Promise<void> {
    const encoded = encodeItems(items, this.#limits)
    const handle = await this.#handle()
    const distributed = await this.#distributed(handle)
    await this.#write(
      userTransaction(handle, this.#userId, async (trx) => {
        // Take the session lock first; later statements then see every committed append.
        if (!(await upsertSession(trx, this.#owner))) throw this.#conflict()
        await deleteAllItems(trx, this.#owner, distributed)
        await deleteOperations(trx, this.#owner)
        if (encoded.length > 0) await insertItems(trx, this.#owner, encoded)
      }),
    )
  }

  /**
   * Applies one of the runner's history transactions (`append_items`, or `replace_suffix` when a
   * blocked turn's output is later accepted) atomically and at most once per `operationId`: the
   * session row is locked, the change and the operation id commit together, and a retry with the
   * same transaction is a no-op. New items reach `onItemsAdded` as with `addItems`.
   * @throws FactlineError `invalid_argument` / `empty_id` for bad arguments, `invalid_item` /
   * `content_too_large` as `addItems`, `session_conflict` when the operation id was used for
   * another transaction, the stored suffix does not match, or the session belongs to someone
   * else; history is unchanged in every case.
   */
  async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
    return this.#applyParsed(parseHistoryTransaction(args, this.#limits))
  }

  async #applyParsed(tx: ParsedHistoryTransaction): Promise<void> {
    const prepare = (items: AgentInputItem[]) => (this as Session).prepareHistoryItemsForPersistenceComparison?.(items) ?? items
    const handle = await this.#handle()
    const distributed = await this.#distributed(handle)
    const result = await this.#write(
      userTransaction(handle, this.#userId, async (trx) => {
        const owner = await upsertSession(trx, this.#owner)
        if (!owner) throw this.#conflict()
        const inserted = await applyParsedTransaction(trx, this.#owner, tx, prepare, distributed)
        return inserted && { owner, inserted }
      }),
    )
    if (result) await this.#notifyItemsAdded(result.owner, result.inserted)
  }

  /**
   * Rewrites stored items in one transaction. `replace_function_call` updates the first stored
   * call with that id in place (its id and position stay) and removes any later duplicates.
   * @throws FactlineError `invalid_argument`, `invalid_item`, `content_too_large`, `session_conflict`;
   * nothing is changed in any of these cases.
   */
  async applyHistoryMutations(args: SessionHistoryRewriteArgs): Promise<void> {
    const replacements = parseHistoryMutations(args, this.#limits)
    if (replacements.length === 0) return
    const handle = await this.#handle()
    const distributed = await this.#distributed(handle)
    await this.#write(
      userTransaction(handle, this.#userId, async (trx) => {
        if (!(await upsertSession(trx, this.#owner))) throw this.#conflict()
        await replaceFunctionCalls(trx, this.#owner, replacements, distributed)
      }),
    )
  }

  /** Closes the database connection if this session opened it; a shared or passed-in one stays open. */
  async close(): Promise<void> {
    if (!this.#ready || !this.#ownsDb) return
    const handle = await this.#ready.catch(() => undefined)
    this.#ready = undefined
    await handle?.close()
  }

  /** Turns "the tables are missing" into the error that says how to create them. */
  async #run<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise
    } catch (error) {
      if (isUndefinedTable(error)) throw migrationRequired(await this.#handle(), error)
      // Row-level security hides another user's session; writing to it is refused by its policy.
      if (isRowSecurityViolation(error)) throw this.#conflict()
      throw error
    }
  }

  /**
   * `#run` for a write: a connection lost once the statement (or COMMIT) was sent leaves the
   * outcome unknown, and the caller must hear exactly that to retry safely.
   */
  async #write<T>(promise: Promise<T>): Promise<T> {
    try {
      return await this.#run(promise)
    } catch (error) {
      if (isConnectionError(error)) throw outcomeUnknown(this.#sessionId, error)
      throw error
    }
  }

  #handle(): Promise<FactlineDb> {
    this.#ready ??= this.#open().catch((error: unknown) => {
      this.#ready = undefined // let the next call retry, e.g. once the database is back
      throw error
    })
    return this.#ready
  }

  async #notifyItemsAdded(owner: StoredOwner, inserted: InsertedRange): Promise<void> {
    if (!this.#onItemsAdded) return
    const event: ItemsAddedEvent = {
      sessionId: this.#sessionId,
      userId: owner.userId,
      namespace: owner.namespace,
      firstMessageId: inserted.firstId,
      lastMessageId: inserted.lastId,
      count: inserted.count,
    }
    try {
      await this.#onItemsAdded(event)
    } catch (error) {
      // The items are committed; a failing follower (e.g. Redis down) must not fail the turn.
      this.#logger.warn('onItemsAdded failed; the items are stored and a sweep will catch up', {
        sessionId: this.#sessionId,
        error: error instanceof Error ? error.message : String(error),
      })
    }
  }

  /** Nothing when the session does not exist yet or is this handle's; the conflict otherwise. */
  async #refuseIfForeign(db: Kysely<Database>, distributed: boolean): Promise<undefined> {
    const stored = await readSessionOwner(db, this.#owner, sessionLookupFor(distributed))
    if (stored && !isOwnedBy(stored, this.#owner)) throw this.#conflict()
    return undefined
  }

  /** Whether the tables are distributed by Citus: asked once per database handle, then remembered. */
  #distributed(handle: FactlineDb): Promise<boolean> {
    return this.#run(isDistributedHandle(handle))
  }

  /** Deliberately generic: the message must not tell one user who owns another's session. */
  #conflict(): FactlineError {
    return sessionConflict(this.#sessionId)
  }
}

function isUndefinedTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '42P01'
}
