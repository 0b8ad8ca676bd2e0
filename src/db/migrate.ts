import { sql, type Kysely } from 'kysely'
import { Migrator, type MigrationResult } from 'kysely/migration'
import { z } from 'zod'
import { allMigrations } from '../../migrations/all-migrations.js'
import { errorMessage, FactlineError, parseOrThrow } from '../errors.js'
import { connectionFailed, isConnectionError } from './connection-errors.js'
import type { FactlineDb } from './create-db.js'
import { distributeTables, type DistributeResult } from './distribute.js'
import { isDistributed } from './is-distributed.js'
import { DEFAULT_EMBEDDING_DIMENSIONS, MAX_EMBEDDING_DIMENSIONS } from './embedding-dimensions.js'
import { enableRowLevelSecurity } from './row-level-security.js'
import type { Database } from './schema.js'
import { migrationTableName } from './table-names.js'

export const MigrateOptionsSchema = z.strictObject({
  /**
   * Dimension of `facts.embedding`, fixed when the tables are first created and recorded in the
   * meta table. Later runs with another value fail with `dimension_mismatch`.
   * @defaultValue 1536
   */
  embeddingDimensions: z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS).default(DEFAULT_EMBEDDING_DIMENSIONS),
  /**
   * Enable the row-level security policies on every user table once migrated (needs the table
   * owner). Absent or false leaves them as they are: disabling is a deliberate `alter table`.
   * @defaultValue false
   */
  rowLevelSecurity: z.boolean().default(false),
})
export type MigrateOptions = z.input<typeof MigrateOptionsSchema>

export interface MigrateResult {
  /** Migrations applied by this call, in order (empty when already up to date). */
  applied: string[]
  /** The embedding dimension the database stores. */
  embeddingDimensions: number
  /**
   * Present when the tables are distributed on Citus: a migration's new tables are distributed
   * the same way (see distributeTables, the first step).
   */
  distribution?: DistributeResult
}

/**
 * Brings the schema up to date. Safe to run twice and from several processes at once: kysely's
 * migrator holds a PostgreSQL advisory lock while it works, and applied migrations are recorded.
 * @throws FactlineError `dimension_mismatch` when the database already stores another dimension;
 * `migration_required` when a migration fails (nothing of that migration is kept).
 */
export async function migrate(handle: FactlineDb, options: MigrateOptions = {}): Promise<MigrateResult> {
  const { embeddingDimensions, rowLevelSecurity } = parseOrThrow(MigrateOptionsSchema, options, 'invalid_config', 'Invalid migrate options')
  const tableName = migrationTableName(handle.tables)
  const migrations = allMigrations({ tables: handle.tables, embeddingDimensions })
  const upToDate = await appliesExactly(handle, Object.keys(migrations))
  const { error, results = [] } = upToDate
    ? { error: undefined, results: [] as MigrationResult[] }
    : await withoutStatementTimeout(handle.db, (db) =>
        new Migrator({
          db,
          provider: { getMigrations: async () => migrations },
          migrationTableName: tableName,
          migrationLockTableName: `${tableName}_lock`,
        }).migrateToLatest(),
      ).catch((error: unknown) => ({ error, results: [] as MigrationResult[] }))
  if (error) {
    if (isConnectionError(error)) throw connectionFailed(error, handle.target)
    const failed = results.find((r: MigrationResult) => r.status === 'Error')?.migrationName
    throw new FactlineError(
      'migration_required',
      `Migration ${failed ?? '(setup)'} failed: ${errorMessage(error)}`,
      { cause: error },
    )
  }
  const stored = await readEmbeddingDimensions(handle)
  if (stored !== embeddingDimensions && options.embeddingDimensions !== undefined) {
    throw dimensionMismatch(embeddingDimensions, stored)
  }
  if (rowLevelSecurity) await enableRowLevelSecurity(handle)
  // Once distributed by choice, stays so: a later migration's new table must not stay local.
  // (Never on PGlite: no Citus there, and no round trip spent asking at every embedded start.)
  const distributed = handle.backend !== 'pglite' && (await isDistributed(handle.db, handle.tables.sessions))
  const distribution = distributed ? await distributeTables(handle) : undefined
  return {
    applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName),
    embeddingDimensions: stored,
    ...(distribution ? { distribution } : {}),
  }
}

/**
 * Whether the database has applied exactly these migrations, no more and no fewer: one query, where
 * the migrator's locked run takes about ten (its tables, the lock, the list) to do nothing. False
 * when it cannot tell (no tables yet, an error), so the migrator runs and reports what it finds,
 * e.g. a migration this code does not know.
 */
async function appliesExactly(handle: FactlineDb, names: string[]): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(migrationTableName(handle.tables))}`.execute(handle.db)
    const applied = new Set(rows.map((r) => r.name))
    return applied.size === names.length && names.every((name) => applied.has(name))
  } catch {
    return false
  }
}

/** Which of factline's migrations a database has applied and which are pending; changes nothing. */
export async function migrationStatus(handle: FactlineDb): Promise<{ applied: string[]; pending: string[] }> {
  const tableName = migrationTableName(handle.tables)
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => allMigrations({ tables: handle.tables, embeddingDimensions: 1 }) },
    migrationTableName: tableName,
    migrationLockTableName: `${tableName}_lock`,
  })
  try {
    const migrations = await migrator.getMigrations()
    return {
      applied: migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name),
      pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
    }
  } catch (error) {
    if (isConnectionError(error)) throw connectionFailed(error, handle.target)
    throw error
  }
}

/**
 * Runs `fn` on one connection with `statement_timeout` off: a migration may rewrite or index a big
 * table, which the app's timeout is not meant for. `lock_timeout` stays, so a migration waiting
 * behind a long transaction fails instead of queueing every query behind its lock.
 */
async function withoutStatementTimeout<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`set statement_timeout = 0`.execute(conn)
    try {
      return await fn(conn)
    } finally {
      // Back to the connection's own setting before the pool hands it out again.
      await sql`reset statement_timeout`.execute(conn)
    }
  })
}

/**
 * The embedding dimension recorded when the tables were created.
 * @throws FactlineError `migration_required` when the tables do not exist yet.
 */
export async function readEmbeddingDimensions(handle: FactlineDb): Promise<number> {
  try {
    const row = await handle.db
      .selectFrom('factline_meta')
      .select('value')
      .where('key', '=', 'embedding_dimensions')
      .executeTakeFirst()
    if (row) return Number(row.value)
  } catch (error) {
    if (isConnectionError(error)) throw connectionFailed(error, handle.target)
    throw migrationRequired(handle, error)
  }
  throw migrationRequired(handle)
}

/**
 * Checks that every migration has been applied, without changing anything.
 * @throws FactlineError `migration_required` naming the missing migrations.
 */
export async function assertMigrated(handle: FactlineDb): Promise<void> {
  const expected = Object.keys(allMigrations({ tables: handle.tables, embeddingDimensions: 1 }))
  let applied: string[]
  try {
    const rows = await sql<{ name: string }>`select name from ${sql.table(migrationTableName(handle.tables))}`.execute(handle.db)
    applied = rows.rows.map((r) => r.name)
  } catch (error) {
    if (isConnectionError(error)) throw connectionFailed(error, handle.target)
    throw migrationRequired(handle, error)
  }
  const missing = expected.filter((name) => !applied.includes(name))
  if (missing.length > 0) throw migrationRequired(handle, undefined, missing)
}

export function dimensionMismatch(configured: number, stored: number): FactlineError {
  return new FactlineError(
    'dimension_mismatch',
    `the embedder produces ${configured}-dim vectors but the database stores ${stored}-dim ones (vectors of ` +
      `different models do not mix). Three ways out: keep the embedder that filled it (a ${stored}-dim one, e.g. ` +
      `the offline embedder when you tried factline without OPENAI_API_KEY); start a new database or data folder ` +
      `(FACTLINE_DATA_DIR, database: { dataDir }) for the new embedder; or move this one to the new embedder ` +
      `with \`factline reindex --dimensions ${configured}\``,
    { details: { configured, stored } },
  )
}

/** The error for a database whose factline tables are missing or not up to date. */
export function migrationRequired(handle: Pick<FactlineDb, 'tables'>, cause?: unknown, missing?: string[]): FactlineError {
  const what = missing ? `migrations ${missing.join(', ')} have not been applied` : 'the factline tables do not exist'
  return new FactlineError(
    'migration_required',
    `${what} (tables: ${handle.tables.sessions}, ${handle.tables.messages}, …); ` +
      'run `npx factline migrate`, call migrate(), or pass createTables: true',
    { cause, details: { missing: missing ?? [] } },
  )
}
