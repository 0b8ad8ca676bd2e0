import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'
import { USER_ROWS_POLICY } from './0007_row_level_security.js'

/**
 * Makes the schema distributable by user (Citus shards by a tenant column and routes a statement
 * that names it to one shard), and changes nothing a single-node install sees:
 *
 * - every per-user table carries `user_id`, not null: messages and history operations copy it
 *   from their session, fact sources from their fact;
 * - a session without a user gets the reserved tenant U+0001 followed by its session id (user ids
 *   starting with U+0001 are refused, so it is never a real user's; reads map it back to no user);
 * - every primary and unique key starts with `user_id`, and every foreign key joins on it, so a
 *   key or a cascade never crosses users (or shards);
 * - session ids stay unique on their own here (a separate unique index, which `migrate
 *   --distributed` drops: Citus cannot enforce a key without the tenant column);
 * - the row-level security policies compare the same column on every table, with no joins.
 */
export function addTenantKeys({ tables }: MigrationSettings): Migration {
  const t = (name: string) => sql.table(name)
  const id = (name: string) => sql.id(name)
  const fk = (table: string, name: string) => id(`${table}_${name}_fkey`)
  const exec = (db: Kysely<any>, query: RawBuilder<unknown>) => query.execute(db)
  return {
    async up(db: Kysely<any>) {
      // Foreign and primary keys are rebuilt: drop every foreign key among the tables first (names
      // read from the catalog, since renamed tables named them after themselves).
      const perUser = [tables.sessions, tables.messages, tables.sessionOperations, tables.facts, tables.factSources, tables.factEvents, tables.transcriptExcerpts]
      const foreign = await sql<{ table: string; name: string }>`
        select c.conrelid::regclass::text as table, c.conname as name from pg_constraint c
        where c.contype = 'f' and c.conrelid = any (${perUser.map((n) => `"${n}"`)}::regclass[])`.execute(db)
      for (const key of foreign.rows) await exec(db, sql`alter table ${sql.raw(key.table)} drop constraint ${id(key.name)}`)

      await exec(db, sql`update ${t('agent_sessions')} set user_id = chr(1) || session_id where user_id is null`)
      await exec(db, sql`alter table ${t('agent_sessions')} alter column user_id set not null`)
      const copyUser = async (table: string, from: RawBuilder<unknown>) => {
        await exec(db, sql`alter table ${t(table)} add column user_id text`)
        await exec(db, sql`update ${t(table)} x set user_id = (${from})`)
        await exec(db, sql`alter table ${t(table)} alter column user_id set not null`)
      }
      const sessionUser = sql`select s.user_id from ${t('agent_sessions')} s where s.session_id = x.session_id`
      await copyUser('agent_messages', sessionUser)
      await copyUser('agent_session_operations', sessionUser)
      await copyUser('fact_sources', sql`select f.user_id from ${t('facts')} f where f.id = x.fact_id`)

      const dropPrimary = async (table: string, physical: string) => {
        const current = await sql<{ name: string }>`
          select conname as name from pg_constraint where contype = 'p' and conrelid = ${`"${physical}"`}::regclass`.execute(db)
        for (const key of current.rows) await exec(db, sql`alter table ${t(table)} drop constraint ${id(key.name)}`)
      }
      const addPrimary = (table: string, physical: string, columns: string[]) =>
        exec(db, sql`alter table ${t(table)} add constraint ${id(`${physical}_pkey`)} primary key (${sql.join(columns.map((c) => id(c)))})`)
      const primary = async (table: string, physical: string, columns: string[]) => {
        await dropPrimary(table, physical)
        await addPrimary(table, physical, columns)
      }
      // Session ids stay unique on their own here; the session upsert names this index as its
      // conflict target on a single node (see `upsertSessionSql`).
      await dropPrimary('agent_sessions', tables.sessions)
      await exec(db, sql`create unique index ${id(`${tables.sessions}_session_id_key`)} on ${t('agent_sessions')} (session_id)`)
      await addPrimary('agent_sessions', tables.sessions, ['user_id', 'session_id'])
      await primary('agent_messages', tables.messages, ['user_id', 'id'])
      await primary('agent_session_operations', tables.sessionOperations, ['user_id', 'session_id', 'operation_id'])
      await primary('facts', tables.facts, ['user_id', 'id'])
      await primary('fact_sources', tables.factSources, ['user_id', 'fact_id', 'message_id'])
      await primary('fact_events', tables.factEvents, ['user_id', 'id'])
      await primary('transcript_excerpts', tables.transcriptExcerpts, ['user_id', 'id'])
      await exec(db, sql`drop index if exists ${id(`${tables.transcriptExcerpts}_message_idx`)}`)
      await exec(db, sql`create unique index ${id(`${tables.transcriptExcerpts}_message_idx`)}
        on ${t('transcript_excerpts')} (user_id, message_id, chunk)`)

      const session = sql`(user_id, session_id) references ${t('agent_sessions')} (user_id, session_id) on delete cascade`
      const message = sql`(user_id, message_id) references ${t('agent_messages')} (user_id, id) on delete cascade`
      const fact = sql`(user_id, fact_id) references ${t('facts')} (user_id, id) on delete cascade`
      const keys: Array<[table: string, physical: string, name: string, definition: RawBuilder<unknown>]> = [
        ['agent_messages', tables.messages, 'session', session],
        ['agent_session_operations', tables.sessionOperations, 'session', session],
        // Only superseded_by is cleared when the newer fact goes: user_id is part of the key.
        ['facts', tables.facts, 'superseded_by', sql`(user_id, superseded_by) references ${t('facts')} (user_id, id) on delete set null (superseded_by)`],
        ['fact_sources', tables.factSources, 'fact', fact],
        ['fact_sources', tables.factSources, 'message', message],
        ['fact_sources', tables.factSources, 'session', session],
        ['fact_events', tables.factEvents, 'fact', fact],
        ['transcript_excerpts', tables.transcriptExcerpts, 'message', message],
      ]
      for (const [table, physical, name, definition] of keys) {
        await exec(db, sql`alter table ${t(table)} add constraint ${fk(physical, name)} foreign key ${definition}`)
      }

      // Row-level security: the same column on every table, no subquery.
      for (const physical of perUser) {
        await exec(db, sql`drop policy if exists ${id(USER_ROWS_POLICY)} on ${id(physical)}`)
        await exec(db, sql`create policy ${id(USER_ROWS_POLICY)} on ${id(physical)}
          using (user_id = current_setting('factline.user_id', true))
          with check (user_id = current_setting('factline.user_id', true))`)
      }
    },
  }
}
