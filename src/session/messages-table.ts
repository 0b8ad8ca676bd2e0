import type { AgentInputItem } from '@openai/agents'
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { decodeItem } from './item-codec.js'
import { retractFactsOfDeletedMessages } from '../db/orphan-retraction.js'
import { tenantOf, userOfTenant, type SessionRef } from '../tenant.js'
import {
  ownedBy,
  retryingSessionRace,
  sessionNamed,
  upsertSessionSql,
  type SessionLookup,
  type SessionOwner,
  type StoredOwner,
} from './sessions-table.js'

/** Ids drawn by one batch insert. */
export interface InsertedRange {
  firstId: number
  lastId: number
  count: number
}

/** A stored item with its message id. */
export interface StoredItem {
  id: number
  item: AgentInputItem
}

/** A stored item with its message id and when it was stored. */
export interface StoredMessage extends StoredItem {
  createdAt: Date
}

/**
 * A message's item as JSON text, aliased `data`; decode it with `decodeItem`. Read as text, not
 * as `json`, so the drivers' JSON parsing never runs and the item comes back exactly as stored.
 * `ref` names the column, qualified when the query joins other tables.
 */
export function messageData(ref: 'message_data' | 'm.message_data' | 'agent_messages.message_data' = 'message_data') {
  return sql<string>`${sql.ref(ref)}::text`.as('data')
}

/**
 * The newest `limit` items of `owner`'s session (all when `limit` is undefined), oldest first, in
 * one statement that returns items only when the session row names `owner`: another user's
 * items never leave the database. A session that does not exist yet reads as empty.
 */
export async function readOwnedItems(
  db: Kysely<Database>,
  owner: SessionOwner,
  limit: number | undefined,
  lookup: SessionLookup,
): Promise<{ owned: true; items: AgentInputItem[] } | { owned: false }> {
  const rows = await db
    .selectFrom('agent_sessions as s')
    .leftJoinLateral(
      (eb) => {
        // The index on (session_id, id) serves the newest `limit` rows however long the session is.
        const q = eb
          .selectFrom('agent_messages as m')
          .select(['m.id', messageData('m.message_data')])
          .where('m.user_id', '=', tenantOf(owner))
          .whereRef('m.session_id', '=', 's.session_id')
          .where(ownedBy(owner))
          .orderBy('m.id', 'desc')
        return (limit === undefined ? q : q.limit(limit)).as('m')
      },
      (join) => join.onTrue(),
    )
    .select(['s.user_id', 's.namespace', 'm.data'])
    .where(sessionNamed(owner, lookup))
    .orderBy('m.id')
    .execute()
  const first = rows[0]
  if (first && (first.user_id !== tenantOf(owner) || first.namespace !== owner.namespace)) return { owned: false }
  return { owned: true, items: rows.flatMap((r) => (r.data === null ? [] : [decodeItem(r.data)])) }
}

/**
 * The newest `n` items of a session, oldest first, with their ids. No ownership check: callers
 * hold the session row lock, or are the operator's CLI.
 */
export async function readNewestItems(db: Kysely<Database>, session: SessionRef, n: number): Promise<StoredMessage[]> {
  if (n === 0) return []
  const rows = await sessionMessages(db, session).orderBy('id', 'desc').limit(n).execute()
  return rows.reverse().map(storedMessage)
}

/** Up to `limit` items after message id `after`, oldest first: the extraction pipeline's read. */
export async function readItemsAfter(
  db: Kysely<Database>,
  session: SessionRef,
  after: number,
  limit: number,
): Promise<StoredMessage[]> {
  const rows = await sessionMessages(db, session).where('id', '>', after).orderBy('id').limit(limit).execute()
  return rows.map(storedMessage)
}

/**
 * The session's last user or assistant message with an id at most `through`: the message a batch
 * starting after `through` continues from (a reply's question, see `questionsAnswered`).
 */
export async function readLastMessageThrough(db: Kysely<Database>, session: SessionRef, through: number): Promise<StoredMessage | undefined> {
  const row = await sessionMessages(db, session)
    .where('id', '<=', through)
    .where(messageRole('message_data'), 'in', ['user', 'assistant'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? storedMessage(row) : undefined
}

/** `select id, created_at, data from agent_messages` of one session: where the readers above start. */
function sessionMessages(db: Kysely<Database>, session: SessionRef) {
  return db
    .selectFrom('agent_messages')
    .select(['id', 'created_at', messageData()])
    .where('user_id', '=', tenantOf(session))
    .where('session_id', '=', session.sessionId)
}

function storedMessage(row: { id: number; created_at: Date | string; data: string }): StoredMessage {
  return { id: row.id, item: decodeItem(row.data), createdAt: new Date(row.created_at) }
}

/**
 * `<ref>->>'role'` that cannot fail: PostgreSQL refuses to extract any field from a `json` value
 * holding an escaped U+0000 (`\u0000`, which an item may carry), so such a message reads as having
 * no role (it is neither indexed as a reply nor taken as the question before one). `ref` names the
 * `message_data` column, qualified as the query needs.
 */
export function messageRole(ref: string): RawBuilder<string | null> {
  return sql<string | null>`(case when position(${'\\u0000'} in ${sql.ref(ref)}::text) = 0 then ${sql.ref(ref)}->>'role' end)`
}

/**
 * For a select list: the stored JSON of the user or assistant message just before message `id` of
 * the same session, or null. `userId` is the tenant: a column reference for a scan over many users
 * (the join then stays on the distribution column), the user's id itself inside a one-user
 * statement (so Citus still routes it to one shard). See `readLastMessageThrough`.
 */
export function previousMessageData(refs: { userId: RawBuilder<unknown>; sessionId: string; id: string }): RawBuilder<string | null> {
  return sql<string | null>`(select p.message_data::text from ${sql.table('agent_messages')} p
    where p.user_id = ${refs.userId} and p.session_id = ${sql.ref(refs.sessionId)} and p.id < ${sql.ref(refs.id)}
      and ${messageRole('p.message_data')} in ('user', 'assistant')
    order by p.id desc limit 1)`
}

/**
 * Ids of the session's items in `(after, through]` that still exist, locked `FOR KEY SHARE` so
 * none of them can be deleted before the transaction ends.
 */
export async function lockItemIds(
  db: Kysely<Database>,
  session: SessionRef,
  range: { after: number; through: number },
): Promise<number[]> {
  const rows = await db
    .selectFrom('agent_messages')
    .select('id')
    .where('user_id', '=', tenantOf(session))
    .where('session_id', '=', session.sessionId)
    .where('id', '>', range.after)
    .where('id', '<=', range.through)
    .forKeyShare()
    .execute()
  return rows.map((r) => r.id)
}

/**
 * The `added` CTE every append shares: `encoded` items inserted in order into `session`, after
 * the `from` CTE (whose rows gate the insert: none, nothing is inserted), returning their ids. All
 * items travel as one text[] parameter, so batch size never hits the parameter limit.
 */
function addedCte(session: SessionRef, from: RawBuilder<unknown>, encoded: string[]) {
  return sql`added as (
      insert into ${sql.table('agent_messages')} (user_id, session_id, message_data)
      select ${tenantOf(session)}, ${session.sessionId}, item.data::json
      from ${from}unnest(${encoded}::text[]) with ordinality as item(data, position)
      order by item.position
      returning id
    )`
}

/**
 * Creates or locks `owner`'s session and appends `encoded` items, in one statement: the message
 * insert reads from the upsert, so ids are drawn only after the session row is locked, and
 * concurrent batches get contiguous, commit-ordered ids. Returns undefined, having written
 * nothing, when the session belongs to someone else.
 */
export async function appendOwnedItems(
  db: Kysely<Database>,
  owner: SessionOwner,
  encoded: string[],
  lookup: SessionLookup,
): Promise<{ owner: StoredOwner; inserted: InsertedRange } | undefined> {
  const result = await retryingSessionRace(() => sql<{ user_id: string; namespace: string; first_id: number; last_id: number }>`
    with sess as (${upsertSessionSql(owner, lookup)}),
    ${addedCte(owner, sql`sess, `, encoded)}
    select sess.user_id, sess.namespace,
           (select min(id) from added) as first_id, (select max(id) from added) as last_id
    from sess`.execute(db))
  const row = result.rows[0]
  if (!row) return undefined
  return {
    owner: { userId: userOfTenant(row.user_id), namespace: row.namespace },
    inserted: { firstId: row.first_id, lastId: row.last_id, count: encoded.length },
  }
}

/** What a keyed append found: the items it stored, or the record an earlier call left. */
export interface KeyedAppendResult {
  owner: StoredOwner
  /** Undefined when nothing was inserted (the key was already used, or no items). */
  inserted: InsertedRange | undefined
  /** The earlier call's record under this key, when there was one. */
  priorRecord: string | null
}

/**
 * `appendOwnedItems` recorded under an idempotency key, still one statement (one round trip, no
 * transaction): the operation row is inserted only when the key is new, and the items only when
 * that insert happened. A retry with the same key therefore stores nothing, and `priorRecord`
 * lets the caller tell a retry (same record) from a reused key (another one). Returns undefined
 * when the session belongs to someone else.
 */
export async function appendOwnedItemsOnce(
  db: Kysely<Database>,
  owner: SessionOwner,
  encoded: string[],
  operation: { id: string; record: string },
  lookup: SessionLookup,
): Promise<KeyedAppendResult | undefined> {
  const tenant = tenantOf(owner)
  const result = await retryingSessionRace(() => sql<{ user_id: string; namespace: string; prior: string | null; first_id: number | null; last_id: number | null }>`
    with sess as (${upsertSessionSql(owner, lookup)}),
    prior as (
      select transaction_json from ${sql.table('agent_session_operations')}
      where user_id = ${tenant} and session_id = ${owner.sessionId} and operation_id = ${operation.id}
    ),
    recorded as (
      insert into ${sql.table('agent_session_operations')} (user_id, session_id, operation_id, transaction_json)
      select sess.user_id, sess.session_id, ${operation.id}, ${operation.record} from sess
      where not exists (select 1 from prior)
      on conflict (user_id, session_id, operation_id) do nothing
      returning session_id
    ),
    ${addedCte(owner, sql`recorded, `, encoded)}
    select sess.user_id, sess.namespace, (select transaction_json from prior) as prior,
           (select min(id) from added) as first_id, (select max(id) from added) as last_id
    from sess`.execute(db))
  const row = result.rows[0]
  if (!row) return undefined
  return {
    owner: { userId: userOfTenant(row.user_id), namespace: row.namespace },
    inserted:
      row.first_id === null || row.last_id === null ? undefined : { firstId: row.first_id, lastId: row.last_id, count: encoded.length },
    priorRecord: row.prior,
  }
}

/** Appends items to a session whose row the caller has already locked in this transaction. */
export async function insertItems(db: Kysely<Database>, session: SessionRef, encoded: string[]): Promise<InsertedRange> {
  const result = await sql<{ first_id: number; last_id: number }>`
    with ${addedCte(session, sql``, encoded)}
    select min(id) as first_id, max(id) as last_id from added`.execute(db)
  const row = result.rows[0]!
  return { firstId: row.first_id, lastId: row.last_id, count: encoded.length }
}

/** The id of the session's newest item, as a list of zero or one. */
async function newestItemId(db: Kysely<Database>, session: SessionRef): Promise<number[]> {
  const row = await db
    .selectFrom('agent_messages')
    .select('id')
    .where('user_id', '=', tenantOf(session))
    .where('session_id', '=', session.sessionId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? [row.id] : []
}

/**
 * Deletes and returns the session's newest item. The caller holds the session row lock.
 * `distributed`: on Citus, first do the provenance trigger's work (see `retractFactsOfDeletedMessages`);
 * every delete of messages here takes it.
 */
export async function deleteNewestItem(db: Kysely<Database>, session: SessionRef, distributed: boolean): Promise<AgentInputItem | undefined> {
  const tenant = tenantOf(session)
  if (distributed) await retractFactsOfDeletedMessages(db, { tenant, sessionId: session.sessionId, ids: await newestItemId(db, session) })
  const newest = db
    .selectFrom('agent_messages')
    .select('id')
    .where('user_id', '=', tenant)
    .where('session_id', '=', session.sessionId)
    .orderBy('id', 'desc')
    .limit(1)
  const row = await db
    .deleteFrom('agent_messages')
    .where('user_id', '=', tenant)
    .where('id', '=', newest)
    .returning(messageData())
    .executeTakeFirst()
  return row && decodeItem(row.data)
}

/** Deletes every item of a session (`distributed` as in `deleteNewestItem`). */
export async function deleteAllItems(db: Kysely<Database>, session: SessionRef, distributed: boolean): Promise<void> {
  if (distributed) await retractFactsOfDeletedMessages(db, { tenant: tenantOf(session), sessionId: session.sessionId })
  await db.deleteFrom('agent_messages').where('user_id', '=', tenantOf(session)).where('session_id', '=', session.sessionId).execute()
}

/** Deletes items of a session by id (`distributed` as in `deleteNewestItem`). */
export async function deleteItems(db: Kysely<Database>, session: SessionRef, ids: readonly number[], distributed: boolean): Promise<void> {
  if (ids.length === 0) return
  if (distributed) await retractFactsOfDeletedMessages(db, { tenant: tenantOf(session), sessionId: session.sessionId, ids })
  await db
    .deleteFrom('agent_messages')
    .where('user_id', '=', tenantOf(session))
    .where('session_id', '=', session.sessionId)
    .where('id', 'in', [...ids])
    .execute()
}

/** Ids of the session's stored `function_call` items with this call id, oldest first. */
export async function findFunctionCallIds(db: Kysely<Database>, session: SessionRef, callId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('agent_messages')
    .select('id')
    .where('user_id', '=', tenantOf(session))
    .where('session_id', '=', session.sessionId)
    .where(sql<string>`message_data->>'type'`, '=', 'function_call')
    .where(sql<string>`message_data->>'callId'`, '=', callId)
    .orderBy('id')
    .execute()
  return rows.map((r) => r.id)
}

/** Replaces one stored item in place, keeping its id. */
export async function replaceItem(db: Kysely<Database>, session: SessionRef, id: number, encoded: string): Promise<void> {
  await db
    .updateTable('agent_messages')
    .set({ message_data: sql<string>`${encoded}::json` })
    .where('user_id', '=', tenantOf(session))
    .where('id', '=', id)
    .execute()
}

/** How many messages the sessions of a user hold. */
export async function countUserMessages(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('agent_messages')
    .select(sql<number>`count(*)`.as('n'))
    .where('agent_messages.user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return row.n
}

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
  lookup: SessionLookup,
): Promise<ImportedRange | undefined> {
  const result = await retryingSessionRace(() => sql<{ user_id: string; namespace: string; ids: Array<string | number> | string }>`
    with sess as (${upsertSessionSql(owner, lookup)}),
    added as (
      insert into ${sql.table('agent_messages')} (user_id, session_id, message_data, created_at)
      select sess.user_id, sess.session_id, item.data::json, coalesce(item.at, now())
      from sess, unnest(${[...encoded]}::text[], ${times.map((t) => t?.toISOString() ?? null)}::timestamptz[])
        with ordinality as item(data, at, position)
      order by item.position
      returning id
    )
    select sess.user_id, sess.namespace, (select array_agg(id order by id) from added)::text[] as ids
    from sess`.execute(db))
  const row = result.rows[0]
  if (!row) return undefined
  // text[] parses to a string array on pg and PGlite alike; ids stay exact past 2^53 until Number().
  const ids = typeof row.ids === 'string' ? row.ids.replace(/^\{|\}$/g, '').split(',') : row.ids
  return { userId: userOfTenant(row.user_id), namespace: row.namespace, messageIds: ids.map(Number) }
}

/**
 * Up to `limit` of `owner`'s session's items, oldest first, with ids and times; undefined when the
 * session does not exist or belongs to another user or namespace (the same answer for both).
 */
export async function readOwnedMessages(
  db: Kysely<Database>,
  owner: SessionOwner,
  limit: number,
): Promise<StoredMessage[] | undefined> {
  const session = await db
    .selectFrom('agent_sessions as s')
    .select('s.session_id')
    .where('s.session_id', '=', owner.sessionId)
    .where(ownedBy(owner))
    .executeTakeFirst()
  if (!session) return undefined
  const rows = await db
    .selectFrom('agent_messages as m')
    .innerJoin('agent_sessions as s', (join) => join.onRef('s.user_id', '=', 'm.user_id').onRef('s.session_id', '=', 'm.session_id'))
    .select(['m.id', 'm.created_at', messageData('m.message_data')])
    .where('m.user_id', '=', tenantOf(owner))
    .where('m.session_id', '=', owner.sessionId)
    .where(ownedBy(owner))
    .orderBy('m.id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ id: r.id, createdAt: new Date(r.created_at), item: decodeItem(r.data) }))
}
