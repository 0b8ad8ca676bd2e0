import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'

/** Which of a session's messages are about to be deleted: all of them, or these ids. */
export interface DeletedMessages {
  /** The session's tenant (`tenantOf`). */
  tenant: string
  sessionId: string
  /** Undefined: every message of the session. */
  ids?: readonly number[] | undefined
}

/**
 * Provenance-consistent deletion done by factline itself, for a distributed (Citus) database. A
 * single node does this in the statement trigger on fact_sources (migrations 0001 and 0004), so
 * plain SQL deletes are covered too; on Citus that trigger would query other tables from inside a
 * shard, so `migrate --distributed` drops it and every factline path that deletes messages calls
 * this first, in the same transaction: the sources citing the messages are removed and logged
 * (`source_removed`), and a fact left with no source is retracted and logged, exactly as the
 * trigger does. One statement, naming the tenant everywhere, so Citus runs it on one shard.
 */
export async function retractFactsOfDeletedMessages(db: Kysely<Database>, deleted: DeletedMessages): Promise<void> {
  const { tenant, sessionId, ids } = deleted
  if (ids !== undefined && ids.length === 0) return
  const which = (alias: string) =>
    ids === undefined
      ? sql`${sql.ref(`${alias}.session_id`)} = ${sessionId}`
      : sql`${sql.ref(`${alias}.session_id`)} = ${sessionId} and ${sql.ref(`${alias}.message_id`)} = any(${[...ids]}::bigint[])`
  await sql`
    with removed as (
      delete from ${sql.table('fact_sources')} as r where r.user_id = ${tenant} and ${which('r')}
      returning r.fact_id, r.message_id, r.session_id
    ),
    logged as (
      insert into ${sql.table('fact_events')} (user_id, fact_id, namespace, event_type, before, reason)
      select f.user_id, f.id, f.namespace, 'source_removed',
             jsonb_build_object('messageId', o.message_id, 'sessionId', o.session_id), 'source transcript item deleted'
      from removed o join ${sql.table('facts')} f on f.user_id = ${tenant} and f.id = o.fact_id
    ),
    orphaned as (
      -- least() skips a null valid_to; Citus refuses now() inside coalesce or case
      update ${sql.table('facts')} as f set status = 'retracted', valid_to = least(f.valid_to, now()), updated_at = now()
      where f.user_id = ${tenant}
        and f.id in (select fact_id from removed)
        and f.status in ('active', 'superseded')
        -- the statement still sees the sources it deletes: those do not count
        and not exists (select 1 from ${sql.table('fact_sources')} s where s.user_id = ${tenant} and s.fact_id = f.id and not (${which('s')}))
      returning f.user_id, f.id, f.namespace
    )
    insert into ${sql.table('fact_events')} (user_id, fact_id, namespace, event_type, after, reason)
    select user_id, id, namespace, 'retracted', jsonb_build_object('status', 'retracted'), 'every source of this fact was deleted'
    from orphaned`.execute(db)
}
