import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'

/**
 * Records the history transactions a session has applied, keyed by the runner's operation id,
 * so a retried transaction is recognised instead of applied twice. Rows go with their session
 * (`on delete cascade`), so deleting a session or a user needs nothing extra.
 */
export function createSessionOperations({ tables }: MigrationSettings): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('agent_session_operations')
        .addColumn('session_id', 'text', (c) =>
          c.notNull().references('agent_sessions.session_id').onDelete('cascade'),
        )
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('transaction_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint(`${tables.sessionOperations}_pkey`, ['session_id', 'operation_id'])
        .execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('agent_session_operations').ifExists().execute()
    },
  }
}
