import { z } from 'zod'
import { DatabaseOptionsSchema, type DatabaseOptions, type FactlineDb } from '../db/create-db.js'
import type { TableNameOptions } from '../db/table-names.js'
import { adaptLogger, type Logger } from '../logger.js'
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_ITEMS, DEFAULT_MAX_ITEM_BYTES } from './item-codec.js'

/**
 * What a `PostgresSession` is made from, validated at its constructor, and what it tells its owner
 * after each committed batch.
 */

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
  /** Identifies the conversation; any non-empty string up to 512 characters, without U+0000. */
  sessionId: z.unknown(),
  /**
   * Owner of the conversation, stored on the session row when it is created; facts are extracted
   * per user. A session never changes owner: a handle for another user, or without a user, gets
   * `session_conflict` from every method, and a session created without a user stays without one.
   */
  userId: z.unknown().optional(),
  /** Scope for facts drawn from this session; part of the owner, like `userId`. @defaultValue 'default' */
  namespace: z.unknown().optional(),
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
  /** Most items one `addItems` (or history transaction, or compaction) may write. @defaultValue 10,000 */
  maxBatchItems: z.number().int().min(1).default(DEFAULT_MAX_BATCH_ITEMS),
  /** Largest total JSON size one write may carry, in bytes. @defaultValue 64 MiB */
  maxBatchBytes: z.number().int().min(1).default(DEFAULT_MAX_BATCH_BYTES),
  /**
   * Caps what `getItems()` without a limit returns to the newest N items, cut where no tool call
   * is separated from its result. The runner reads the whole history on every turn, so this keeps
   * a turn's read (and the SDK's per-item work) constant on long sessions. Nothing is deleted;
   * `getItems(n)` with an explicit limit is unaffected. @defaultValue no cap
   */
  historyLimit: z.number().int().min(1).optional(),
  /** Called after each committed `addItems` batch. Its errors are logged, never thrown. */
  onItemsAdded: z.custom<(event: ItemsAddedEvent) => unknown>((v) => typeof v === 'function').optional(),
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null).transform(adaptLogger).optional(),
})

export type PostgresSessionOptions = Omit<
  z.input<typeof PostgresSessionOptionsSchema>,
  'sessionId' | 'userId' | 'namespace' | 'tables' | 'database'
> & {
  sessionId: string
  userId?: string | undefined
  namespace?: string | undefined
  database?: DatabaseOptions
  tables?: TableNameOptions
}
