import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'

/** The one policy name, on every table that holds a user's rows. */
export const USER_ROWS_POLICY = 'factline_user_rows'

/**
 * Row-level security policies: a row is visible and writable only in a transaction whose
 * `factline.user_id` setting names its user (factline sets it with `database.rowLevelSecurity`).
 * Rows without a user_id column follow their parent: messages and history operations their
 * session, sources their fact (and, when written, their session too).
 *
 * Policies do nothing until a table enables row-level security, which this migration leaves to the
 * operator (`factline migrate` with `FACTLINE_RLS=1`): an app role of an existing least-privilege
 * install would otherwise see no rows at all after upgrading. Owners and superusers bypass the
 * policies (no FORCE), so single-role installs and the migrator are never filtered.
 */
export function createRowLevelSecurityPolicies({ tables }: MigrationSettings): Migration {
  const t = (name: string) => sql.id(name)
  // missing_ok: unset reads as null, which matches no row; after a scoped transaction it reads ''.
  const currentUser = sql`current_setting('factline.user_id', true)`
  const ownUser = (table: string) => sql`${t(table)}.user_id = ${currentUser}`
  const ownSession = (table: string) =>
    sql`exists (select 1 from ${t(tables.sessions)} s where s.session_id = ${t(table)}.session_id and s.user_id = ${currentUser})`
  const ownFact = (table: string) =>
    sql`exists (select 1 from ${t(tables.facts)} f where f.id = ${t(table)}.fact_id and f.user_id = ${currentUser})`

  const policies: Array<[table: string, using: RawBuilder<unknown>, check: RawBuilder<unknown>]> = [
    [tables.sessions, ownUser(tables.sessions), ownUser(tables.sessions)],
    [tables.facts, ownUser(tables.facts), ownUser(tables.facts)],
    [tables.factEvents, ownUser(tables.factEvents), ownUser(tables.factEvents)],
    [tables.transcriptExcerpts, ownUser(tables.transcriptExcerpts), ownUser(tables.transcriptExcerpts)],
    [tables.messages, ownSession(tables.messages), ownSession(tables.messages)],
    [tables.sessionOperations, ownSession(tables.sessionOperations), ownSession(tables.sessionOperations)],
    // A source may only link the user's own fact to the user's own session.
    [tables.factSources, ownFact(tables.factSources), sql`${ownFact(tables.factSources)} and ${ownSession(tables.factSources)}`],
  ]
  return {
    async up(db: Kysely<any>) {
      for (const [table, using, check] of policies) {
        await sql`create policy ${t(USER_ROWS_POLICY)} on ${t(table)} using (${using}) with check (${check})`.execute(db)
      }
    },
    async down(db: Kysely<any>) {
      for (const [table] of policies) {
        await sql`alter table ${t(table)} disable row level security`.execute(db)
        await sql`drop policy if exists ${t(USER_ROWS_POLICY)} on ${t(table)}`.execute(db)
      }
    },
  }
}
