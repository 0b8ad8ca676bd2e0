import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'

/**
 * Whether the sessions table is distributed by Citus. Two statements: `pg_dist_partition` exists
 * only where the citus extension is installed, and naming it elsewhere would be an error.
 */
export async function isDistributed(db: Kysely<Database>, sessionsTable: string): Promise<boolean> {
  const catalog = await sql<{ present: boolean }>`select to_regclass('pg_catalog.pg_dist_partition') is not null as present`.execute(db)
  if (!catalog.rows[0]?.present) return false
  const row = await sql<{ distributed: boolean }>`
    select exists (select 1 from pg_catalog.pg_dist_partition where logicalrelid = to_regclass(${sessionsTable})) as distributed`.execute(db)
  return row.rows[0]?.distributed === true
}
