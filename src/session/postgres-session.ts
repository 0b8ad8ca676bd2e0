import type {
  AgentInputItem,
  Session,
  SessionHistoryRewriteArgs,
  SessionHistoryRewriteAwareSession,
  SessionHistoryTransactionArgs,
  SessionHistoryTransactionAwareSession,
} from '@openai/agents'
import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import { createDb, DatabaseOptionsSchema, type DatabaseOptions, type FactlineDb } from '../db/create-db.js'
import { migrate, migrationRequired } from '../db/migrate.js'
import type { Database } from '../db/schema.js'
import type { TableNameOptions } from '../db/table-names.js'
import { FactlineError, parseOrThrow } from '../errors.js'
import { quietLogger, type Logger } from '../logger.js'
import { DEFAULT_NAMESPACE } from '../scope.js'
import {
  applyParsedTransaction,
  parseHistoryMutations,
  parseHistoryTransaction,
  replaceFunctionCalls,
} from './history-transaction.js'
import { decodeItem, DEFAULT_MAX_ITEM_BYTES, encodeItems } from './item-codec.js'
import { trimHistory } from './history-window.js'
import { addItemsStatement, upsertSession, type InsertedRange, type SessionOwner } from './session-statements.js'

/** What a session tells its owner after a batch commits (the fact layer enqueues extraction here). */
export interface ItemsAddedEvent {
  sessionId: string
  userId: string | null
  namespace: string
  firstMessageId: number
  lastMessageId: number
  count: number
}

const isFactlineDb = (v: unknown): v is FactlineDb =>
  typeof v === 'object' && v !== null && 'db' in v && 'tables' in v && 'close' in v

export const PostgresSessionOptionsSchema = z.strictObject({
  /** Identifies the conversation; any non-empty string up to 512 characters. */
  sessionId: z.unknown(),
  /** Owner of the conversation, stored on the session row; facts are extracted per user. */
  userId: z.string().min(1).max(512).optional(),
  /** Scope for facts drawn from this session. @defaultValue 'default' */
  namespace: z.string().min(1).max(256).optional(),
  /** Where to store items; see `DatabaseOptions`. Nothing means embedded PGlite. */
  database: DatabaseOptionsSchema,
  /** An already-open handle shared by many sessions (what `createMemory` passes). */
  db: z.custom<FactlineDb>(isFactlineDb, 'expected a FactlineDb from createDb()').optional(),
  /** Physical table names, when the defaults do not suit. */
  tables: z.record(z.string(), z.string()).optional(),
  /** Create or upgrade the tables on first use, like the SDK's `create_tables`. For development. @defaultValue false */
  createTables: z.boolean().default(false),
  /** Largest accepted item, in bytes of JSON. @defaultValue 8 MiB */
  maxItemBytes: z.number().int().min(1).default(DEFAULT_MAX_ITEM_BYTES),
  /**
   * Caps what `getItems()` without a limit returns to the newest N items, cut where no tool call
   * is separated from its result. The runner reads the whole history on every turn, so this keeps
   * a turn's read (and the SDK's per-item work) constant on long sessions. Nothing is deleted;
   * `getItems(n)` with an explicit limit is unaffected. @defaultValue no cap
   */
  historyLimit: z.number().int().min(1).optional(),
  /** Called after each committed `addItems` batch. Its errors are logged, never thrown. */
  onItemsAdded: z.custom<(event: ItemsAddedEvent) => unknown>((v) => typeof v === 'function').optional(),
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null).optional(),
})

export type PostgresSessionOptions = Omit<z.input<typeof PostgresSessionOptionsSchema>, 'sessionId' | 'tables' | 'database'> & {
  sessionId: string
  database?: DatabaseOptions
  tables?: TableNameOptions
}

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
 * @throws FactlineError `empty_id` / `invalid_argument` for a bad session id, `invalid_config` for bad options.
 */
export class PostgresSession implements SessionHistoryTransactionAwareSession, SessionHistoryRewriteAwareSession {
  readonly #sessionId: string
  readonly #userId: string | null
  readonly #namespace: string
  readonly #owner: SessionOwner
  readonly #maxItemBytes: number
  readonly #historyLimit: number | undefined
  readonly #onItemsAdded: ((event: ItemsAddedEvent) => unknown) | undefined
  readonly #logger: Logger
  readonly #open: () => Promise<FactlineDb>
  readonly #ownsDb: boolean
  #ready: Promise<FactlineDb> | undefined

  constructor(options: PostgresSessionOptions) {
    const o = parseOrThrow(PostgresSessionOptionsSchema, options, 'invalid_config', 'Invalid PostgresSession options')
    this.#sessionId = validateSessionId(o.sessionId)
    this.#userId = o.userId ?? null
    this.#namespace = o.namespace ?? DEFAULT_NAMESPACE
    this.#owner = {
      sessionId: this.#sessionId,
      userId: this.#userId,
      namespace: this.#namespace,
      namespaceGiven: o.namespace !== undefined,
    }
    this.#maxItemBytes = o.maxItemBytes
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
      if (createTables) await migrate(handle)
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
   * `historyLimit` when that option is set).
   * @throws FactlineError `invalid_argument` when `limit` is negative or not an integer.
   */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new FactlineError('invalid_argument', `limit must be a non-negative integer, got ${String(limit)}`)
    }
    if (limit === 0) return []
    if (limit === undefined && this.#historyLimit !== undefined) {
      // A plain count cut could start the history with a tool result whose call was cut off.
      return trimHistory(await this.getItems(this.#historyLimit), { maxItems: this.#historyLimit })
    }
    const { db } = await this.#handle()
    const rows =
      limit === undefined
        ? await this.#run(
            db
              .selectFrom('agent_messages')
              .select(sql<string>`message_data::text`.as('data'))
              .where('session_id', '=', this.#sessionId)
              .orderBy('id')
              .execute(),
          )
        : // The index on (session_id, id) serves the newest `limit` rows however long the session is.
          (
            await this.#run(
              db
                .selectFrom('agent_messages')
                .select(['id', sql<string>`message_data::text`.as('data')])
                .where('session_id', '=', this.#sessionId)
                .orderBy('id', 'desc')
                .limit(limit)
                .execute(),
            )
          ).reverse()
    return rows.map((r) => decodeItem(r.data))
  }

  /**
   * Appends items in order, atomically: one statement upserts the session row (taking its lock,
   * which orders concurrent writers) and inserts every item. An empty list writes nothing.
   * @throws FactlineError `invalid_item`, `content_too_large`, `session_conflict` (the session
   * belongs to another user or namespace); nothing is written in any of these cases.
   */
  async addItems(items: AgentInputItem[]): Promise<void> {
    const encoded = encodeItems(items, this.#maxItemBytes)
    if (encoded.length === 0) return
    const { db } = await this.#handle()
    const row = await this.#run(addItemsStatement(db, this.#owner, encoded))
    if (!row) throw await this.#conflict(db)
    await this.#notifyItemsAdded(row, { firstId: Number(row.first_id), lastId: Number(row.last_id), count: encoded.length })
  }

  /**
   * Removes and returns the newest item, or `undefined` when there is none. Pops serialise on the
   * session row (like appends), so concurrent pops never return the same item and never skip one.
   */
  async popItem(): Promise<AgentInputItem | undefined> {
    const { db } = await this.#handle()
    const row = await this.#run(
      db.transaction().execute(async (trx) => {
        // Not SKIP LOCKED: an extraction job citing the newest item holds a key-share lock on it,
        // and skipping would pop the wrong item. Waiting on the session row is correct and rare.
        const locked = await trx
          .selectFrom('agent_sessions')
          .select('session_id')
          .where('session_id', '=', this.#sessionId)
          .forUpdate()
          .executeTakeFirst()
        if (!locked) return undefined
        const newest = trx
          .selectFrom('agent_messages')
          .select('id')
          .where('session_id', '=', this.#sessionId)
          .orderBy('id', 'desc')
          .limit(1)
        return trx
          .deleteFrom('agent_messages')
          .where('id', '=', newest)
          .returning(sql<string>`message_data::text`.as('data'))
          .executeTakeFirst()
      }),
    )
    return row ? decodeItem(row.data) : undefined
  }

  /** Removes every item of this session. The session row (user, namespace) stays. */
  async clearSession(): Promise<void> {
    const { db } = await this.#handle()
    await this.#run(
      db
        .with('removed', (q) => q.deleteFrom('agent_messages').where('session_id', '=', this.#sessionId).returning('id'))
        .updateTable('agent_sessions')
        .set({ updated_at: sql`now()` })
        .where('session_id', '=', this.#sessionId)
        .execute(),
    )
  }

  /**
   * Replaces the whole history with `items` (a compaction marker and what it keeps), in one
   * transaction: readers see the old history or the new one, never a mix.
   * @throws FactlineError as `addItems`; on error the old history is untouched.
   */
  async replaceHistoryWithCompaction(items: AgentInputItem[]): Promise<void> {
    const encoded = encodeItems(items, this.#maxItemBytes)
    const { db } = await this.#handle()
    await this.#run(
      db.transaction().execute(async (trx) => {
        // Take the session lock first; later statements then see every committed append.
        const locked = await upsertSession(trx, this.#owner)
        if (!locked) throw await this.#conflict(trx)
        await trx.deleteFrom('agent_messages').where('session_id', '=', this.#sessionId).execute()
        if (encoded.length > 0) await addItemsStatement(trx, this.#owner, encoded)
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
    const tx = parseHistoryTransaction(args, this.#maxItemBytes)
    const prepare = (items: AgentInputItem[]) => (this as Session).prepareHistoryItemsForPersistenceComparison?.(items) ?? items
    const { db } = await this.#handle()
    const result = await this.#run(
      db.transaction().execute(async (trx) => {
        const owner = await upsertSession(trx, this.#owner)
        if (!owner) throw await this.#conflict(trx)
        const inserted = await applyParsedTransaction(trx, this.#sessionId, tx, prepare)
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
    const replacements = parseHistoryMutations(args, this.#maxItemBytes)
    if (replacements.length === 0) return
    const { db } = await this.#handle()
    await this.#run(
      db.transaction().execute(async (trx) => {
        const owner = await upsertSession(trx, this.#owner)
        if (!owner) throw await this.#conflict(trx)
        await replaceFunctionCalls(trx, this.#sessionId, replacements)
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

  async #notifyItemsAdded(owner: { user_id: string | null; namespace: string }, inserted: InsertedRange): Promise<void> {
    if (!this.#onItemsAdded) return
    const event: ItemsAddedEvent = {
      sessionId: this.#sessionId,
      userId: owner.user_id,
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

  async #conflict(db: Kysely<Database>): Promise<FactlineError> {
    const row = await db
      .selectFrom('agent_sessions')
      .select(['user_id', 'namespace'])
      .where('session_id', '=', this.#sessionId)
      .executeTakeFirst()
    return new FactlineError(
      'session_conflict',
      `session ${JSON.stringify(this.#sessionId)} belongs to user ${JSON.stringify(row?.user_id)} ` +
        `in namespace ${JSON.stringify(row?.namespace)}, not user ${JSON.stringify(this.#userId)} in ` +
        `${JSON.stringify(this.#namespace)}; use another session id`,
      { details: { sessionId: this.#sessionId, storedUserId: row?.user_id, storedNamespace: row?.namespace } },
    )
  }
}

function validateSessionId(value: unknown): string {
  if (typeof value !== 'string') {
    throw new FactlineError('invalid_argument', `sessionId must be a string, got ${value === null ? 'null' : typeof value}`)
  }
  if (value.trim().length === 0) throw new FactlineError('empty_id', 'sessionId must not be empty or blank')
  if (value.length > 512) {
    throw new FactlineError('invalid_argument', `sessionId is ${value.length} characters; the limit is 512`)
  }
  return value
}

function isUndefinedTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '42P01'
}
