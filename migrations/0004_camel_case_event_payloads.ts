import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'
import { quoteIdent } from '../src/db/table-names.js'

type KeyStyle = 'camel' | 'snake'

const SOURCE_KEYS: Record<KeyStyle, { messageId: string; sessionId: string }> = {
  camel: { messageId: 'messageId', sessionId: 'sessionId' },
  snake: { messageId: 'message_id', sessionId: 'session_id' },
}

/**
 * Makes the provenance trigger write `fact_events` payloads with camelCase keys, as the
 * TypeScript writers do, so `explain()` returns one shape: a `source_removed` event's `before`
 * becomes `{ messageId, sessionId }`. Events the trigger already wrote are rewritten the same way.
 * Only the function body changes; the trigger created by 0001 keeps calling it by name.
 */
export function camelCaseEventPayloads({ tables }: MigrationSettings): Migration {
  return {
    async up(db: Kysely<any>) {
      await replaceOrphanRetraction(db, tables, 'camel')
      await renameSourceKeys(db, 'snake', 'camel')
    },
    async down(db: Kysely<any>) {
      await replaceOrphanRetraction(db, tables, 'snake')
      await renameSourceKeys(db, 'camel', 'snake')
    },
  }
}

/** The orphan-retraction trigger function of 0001, with the source keys in the given style. */
async function replaceOrphanRetraction(db: Kysely<any>, tables: MigrationSettings['tables'], style: KeyStyle) {
  // A function body is a string the table-name plugin cannot see into, so the physical names go in here.
  const facts = quoteIdent(tables.facts)
  const sources = quoteIdent(tables.factSources)
  const events = quoteIdent(tables.factEvents)
  const keys = SOURCE_KEYS[style]
  const body = `
    begin
      insert into ${events} (fact_id, user_id, namespace, event_type, before, reason)
      select f.id, f.user_id, f.namespace, 'source_removed',
             jsonb_build_object('${keys.messageId}', o.message_id, '${keys.sessionId}', o.session_id),
             'source transcript item deleted'
      from removed_sources o join ${facts} f on f.id = o.fact_id;

      with orphaned as (
        update ${facts} f set status = 'retracted', valid_to = coalesce(f.valid_to, now()), updated_at = now()
        where f.id in (select distinct fact_id from removed_sources)
          and f.status in ('active', 'superseded')
          and not exists (select 1 from ${sources} s where s.fact_id = f.id)
        returning f.id, f.user_id, f.namespace
      )
      insert into ${events} (fact_id, user_id, namespace, event_type, after, reason)
      select id, user_id, namespace, 'retracted', jsonb_build_object('status', 'retracted'),
             'every source of this fact was deleted'
      from orphaned;
      return null;
    end`
  const fn = sql.id(`${tables.facts}_retract_orphans`)
  await sql`create or replace function ${fn}() returns trigger language plpgsql as ${sql.lit(body)}`.execute(db)
}

/** Renames the source keys of every trigger-written `source_removed` payload, in one statement. */
async function renameSourceKeys(db: Kysely<any>, from: KeyStyle, to: KeyStyle) {
  const a = SOURCE_KEYS[from]
  const b = SOURCE_KEYS[to]
  const renamed = sql`(
    select jsonb_object_agg(
      case e.key when ${a.messageId} then ${b.messageId} when ${a.sessionId} then ${b.sessionId} else e.key end,
      e.value
    )
    from jsonb_each(${sql.ref('before')}) e
  )`
  await db
    .updateTable('fact_events')
    .set({ before: renamed })
    .where('event_type', '=', 'source_removed')
    .where(sql<boolean>`jsonb_typeof(${sql.ref('before')}) = 'object'`)
    .where(sql<boolean>`(${sql.ref('before')} -> ${a.messageId} is not null or ${sql.ref('before')} -> ${a.sessionId} is not null)`)
    .execute()
}
