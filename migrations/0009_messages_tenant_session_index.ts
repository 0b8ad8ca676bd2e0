import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'

/**
 * Rebuilds the messages' session index as `(user_id, session_id, id)`. Since 0008 every read of a
 * session's messages names its tenant (`user_id = … and session_id = … order by id desc limit n`);
 * against `(session_id, id)` and the `(user_id, id)` primary key, PostgreSQL without fresh
 * statistics ANDed both bitmaps and sorted the whole session: `getItems(200)` on a 100,000-item
 * session took 52 ms instead of 0.3 ms (a runner turn with `historyLimit` 200: 69 ms, was 10 ms).
 * With the tenant first the newest rows are one backward index scan however the planner guesses,
 * and on Citus the index leads with the distribution column like every other key. Same name, so
 * the index count (and each insert's cost) stays; a plain SQL query by `session_id` alone should
 * name the user too.
 */
export function rebuildMessagesSessionIndex({ tables }: MigrationSettings): Migration {
  const index = sql.id(`${tables.messages}_session_idx`)
  const messages = sql.table('agent_messages')
  return {
    async up(db: Kysely<any>) {
      await sql`drop index if exists ${index}`.execute(db)
      await sql`create index ${index} on ${messages} (user_id, session_id, id)`.execute(db)
    },
    async down(db: Kysely<any>) {
      await sql`drop index if exists ${index}`.execute(db)
      await sql`create index ${index} on ${messages} (session_id, id)`.execute(db)
    },
  }
}
