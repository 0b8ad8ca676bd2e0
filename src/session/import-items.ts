import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { upsertSessionSql, type SessionOwner } from './session-statements.js'

/** Ids drawn by an import, and the owner the session row holds. */
export interface ImportedRange {
  userId: string | null
  namespace: string
  /** The items' ids, in the order given (ascending). */
  messageIds: number[]
}

/**
 * Appends encoded items with the times they were originally said (`created_at`), in one
 * statement, like `addItemsStatement`: the session row is upserted and locked first (returning no
 * row when another user or namespace owns it, so nothing is written), then the items get
 * ascending ids in the order given. A null time means now. This is the one transcript write that
 * sets `created_at`; `importTranscript` uses it to bring existing chat logs in with their dates.
 */
export async function insertItemsWithTimes(
  db: Kysely<Database>,
  owner: SessionOwner,
  encoded: readonly string[],
  times: ReadonlyArray<Date | null>,
): Promise<ImportedRange | undefined> {
  const result = await sql<{ user_id: string | null; namespace: string; ids: Array<string | number> | string }>`
    with sess as (${upsertSessionSql(owner)}),
    added as (
      insert into ${sql.table('agent_messages')} (session_id, message_data, created_at)
      select sess.session_id, item.data::json, coalesce(item.at, now())
      from sess, unnest(${[...encoded]}::text[], ${times.map((t) => t?.toISOString() ?? null)}::timestamptz[])
        with ordinality as item(data, at, position)
      order by item.position
      returning id
    )
    select sess.user_id, sess.namespace, (select array_agg(id order by id) from added)::text[] as ids
    from sess`.execute(db)
  const row = result.rows[0]
  if (!row) return undefined
  // text[] parses to a string array on pg and PGlite alike; ids stay exact past 2^53 until Number().
  const ids = typeof row.ids === 'string' ? row.ids.replace(/^\{|\}$/g, '').split(',') : row.ids
  return { userId: row.user_id, namespace: row.namespace, messageIds: ids.map(Number) }
}
