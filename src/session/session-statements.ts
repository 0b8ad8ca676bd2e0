import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** Who a session writer claims to be; the stored row must agree (see `upsertSessionSql`). */
export interface SessionOwner {
  sessionId: string
  userId: string | null
  namespace: string
  namespaceGiven: boolean
}

/** Ids drawn by one batch insert. pg returns int8 as a string and PGlite as a number. */
export interface InsertedRange {
  firstId: number
  lastId: number
  count: number
}

/**
 * The upsert that creates the session row or locks it. It returns no row when the stored owner
 * differs, so a caller can refuse without having written anything.
 */
export function upsertSessionSql({ sessionId, userId, namespace, namespaceGiven }: SessionOwner) {
  return sql`insert into ${sql.table('agent_sessions')} as sess (session_id, user_id, namespace)
    values (${sessionId}, ${userId}, ${namespace})
    on conflict (session_id) do update
      set updated_at = now(), user_id = coalesce(sess.user_id, excluded.user_id)
      where (${userId}::text is null or sess.user_id is null or sess.user_id = ${userId}::text)
        and (not ${namespaceGiven}::boolean or sess.namespace = ${namespace}::text)
    returning sess.session_id, sess.user_id, sess.namespace`
}

export async function upsertSession(db: Kysely<Database>, owner: SessionOwner) {
  const result = await upsertSessionSql(owner).execute(db)
  return result.rows[0] as { session_id: string; user_id: string | null; namespace: string } | undefined
}

/**
 * One statement: the message insert reads from the upsert, so ids are drawn only after the
 * session row is locked, and concurrent batches get contiguous, commit-ordered ids.
 * All items travel as one text[] parameter, so batch size never hits the parameter limit.
 */
export async function addItemsStatement(db: Kysely<Database>, owner: SessionOwner, encoded: string[]) {
  const result = await sql<{ user_id: string | null; namespace: string; first_id: string; last_id: string }>`
    with sess as (${upsertSessionSql(owner)}),
    added as (
      insert into ${sql.table('agent_messages')} (session_id, message_data)
      select sess.session_id, item.data::json
      from sess, unnest(${encoded}::text[]) with ordinality as item(data, position)
      order by item.position
      returning id
    )
    select sess.user_id, sess.namespace,
           (select min(id) from added) as first_id, (select max(id) from added) as last_id
    from sess`.execute(db)
  return result.rows[0]
}

/** Appends items to a session whose row the caller has already locked in this transaction. */
export async function insertItems(db: Kysely<Database>, sessionId: string, encoded: string[]): Promise<InsertedRange> {
  const result = await sql<{ first_id: string | number; last_id: string | number }>`
    with added as (
      insert into ${sql.table('agent_messages')} (session_id, message_data)
      select ${sessionId}, item.data::json
      from unnest(${encoded}::text[]) with ordinality as item(data, position)
      order by item.position
      returning id
    )
    select min(id) as first_id, max(id) as last_id from added`.execute(db)
  const row = result.rows[0]!
  return { firstId: Number(row.first_id), lastId: Number(row.last_id), count: encoded.length }
}
