import { sql, type ExpressionBuilder, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { FactlineError } from '../errors.js'
import { NO_USER_TENANT_PREFIX, tenantOf, userOfTenant, type SessionRef } from '../tenant.js'

/**
 * Who a session handle acts for. The stored row must name the same user (both null for a
 * session without a user) and the same namespace; a session never changes owner.
 */
export interface SessionOwner extends SessionRef {
  namespace: string
}

/** A session's owner as stored. */
export interface StoredOwner {
  userId: string | null
  namespace: string
}

/** What the extraction pipeline reads from a session row. */
export interface ExtractionMark extends StoredOwner {
  /** Id of the newest message extracted (0 = none). */
  watermark: number
}

/** A session whose extraction watermark lags its newest message. */
export interface LaggingSession {
  sessionId: string
  userId: string
  /** Id of the session's newest message. */
  newestMessageId: number
}

/** A session row as `factline sessions list` shows it. */
export interface SessionSummary {
  sessionId: string
  userId: string | null
  namespace: string
  items: number
  updatedAt: Date
  extractedThrough: number
}

/**
 * The error for a session that belongs to another user or namespace. Generic on purpose: it names
 * neither the owner nor whether the session exists for someone else.
 */
export function sessionConflict(sessionId: string): FactlineError {
  return new FactlineError(
    'session_conflict',
    `session ${JSON.stringify(sessionId)} is not available to this user and namespace; use another session id`,
    { details: { sessionId } },
  )
}

export const isOwnedBy = (stored: StoredOwner, owner: SessionOwner): boolean =>
  stored.userId === owner.userId && stored.namespace === owner.namespace

/** The predicate "session row `s` belongs to `owner`", for queries that join the sessions table as `s`. */
export function ownedBy(owner: SessionOwner) {
  return (eb: ExpressionBuilder<{ s: Database['agent_sessions'] }, 's'>) =>
    eb.and([eb('s.user_id', '=', tenantOf(owner)), eb('s.namespace', '=', owner.namespace)])
}

/**
 * How an owner check finds the session row. A single node keeps session ids unique on their own,
 * so it looks the id up whoever owns it (`'session-id'`) and refuses another user's session with
 * `session_conflict`. Citus can only route a statement that names the user, and cannot keep ids
 * unique across users, so it looks in the caller's own rows only (`'own-rows'`): another user's
 * session with the same id is simply not theirs, and a write makes the caller their own.
 */
export type SessionLookup = 'session-id' | 'own-rows'

/** The lookup for a database: `'own-rows'` when it is distributed. */
export const sessionLookupFor = (distributed: boolean): SessionLookup => (distributed ? 'own-rows' : 'session-id')

/** The predicate "session row `s` is the one `ref` names", for an owner check (see `SessionLookup`). */
export function sessionNamed(ref: SessionRef, lookup: SessionLookup) {
  return (eb: ExpressionBuilder<{ s: Database['agent_sessions'] }, 's'>) =>
    lookup === 'own-rows'
      ? eb.and([eb('s.user_id', '=', tenantOf(ref)), eb('s.session_id', '=', ref.sessionId)])
      : eb('s.session_id', '=', ref.sessionId)
}

/** Rows of a real user, not the reserved tenant of a session without one (see `tenantOf`). */
const hasUser = sql<boolean>`left(s.user_id, 1) <> ${NO_USER_TENANT_PREFIX}`

/** The owner a stored row names (null user for the reserved tenant of a session without one). */
const storedOwner = (row: { user_id: string; namespace: string }): StoredOwner => ({
  userId: userOfTenant(row.user_id),
  namespace: row.namespace,
})

/**
 * The upsert that creates the session row or locks it. It returns no row when the stored owner
 * differs (the conflicting row is locked but left unchanged), so a caller can refuse without
 * having written anything. The conflict target follows `lookup`: the session id's own unique
 * index on a single node (another user's row with this id is found, and refused), the tenant key
 * on Citus (where ids are unique per user).
 */
export function upsertSessionSql(owner: SessionOwner, lookup: SessionLookup) {
  const target = lookup === 'own-rows' ? sql`(user_id, session_id)` : sql`(session_id)`
  return sql<{ session_id: string; user_id: string; namespace: string }>`insert into ${sql.table('agent_sessions')} as sess (session_id, user_id, namespace)
    values (${owner.sessionId}, ${tenantOf(owner)}, ${owner.namespace})
    on conflict ${target} do update
      -- the new row's default now(): Citus refuses a volatile function in DO UPDATE SET
      set updated_at = excluded.updated_at
      where sess.user_id = excluded.user_id and sess.namespace = excluded.namespace
    returning sess.session_id, sess.user_id, sess.namespace`
}

/**
 * Creates or locks `owner`'s session row inside the caller's transaction; undefined when the
 * session belongs to someone else. Two statements, so that a first write racing another on a new
 * session never fails: the insert yields to any unique key (the session id's own, or the tenant
 * key), and the update then finds the row the other committed, and locks it.
 */
export async function upsertSession(db: Kysely<Database>, owner: SessionOwner): Promise<StoredOwner | undefined> {
  await sql`insert into ${sql.table('agent_sessions')} (session_id, user_id, namespace)
    values (${owner.sessionId}, ${tenantOf(owner)}, ${owner.namespace}) on conflict do nothing`.execute(db)
  return (await touchOwnedSession(db, owner)) ? { userId: owner.userId, namespace: owner.namespace } : undefined
}

/**
 * Runs a one-statement write that embeds `upsertSessionSql`, again once if it lost a race to
 * create the same new session: a table with two unique keys (the session id's own and the tenant
 * key) lets only one of them decide an upsert, so the loser of two first writes fails on the other
 * with a unique violation, having written nothing. Run again, it finds the winner's row. Only for
 * statements outside a transaction (a failed statement aborts one).
 */
export async function retryingSessionRace<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    return write()
  }
}

function isUniqueViolation(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === '23505') return true
  }
  return false
}

/**
 * The stored owner of the session `ref` names, found as `lookup` says (by default in `ref`'s own
 * rows), or undefined when there is none.
 */
export async function readSessionOwner(
  db: Kysely<Database>,
  ref: SessionRef,
  lookup: SessionLookup = 'own-rows',
): Promise<StoredOwner | undefined> {
  const row = await db
    .selectFrom('agent_sessions as s')
    .select(['s.user_id', 's.namespace'])
    .where(sessionNamed(ref, lookup))
    .executeTakeFirst()
  return row && storedOwner(row)
}

/** Locks `owner`'s session row until the transaction ends; false when it is missing or someone else's. */
export async function lockOwnedSession(db: Kysely<Database>, owner: SessionOwner): Promise<boolean> {
  const row = await db
    .selectFrom('agent_sessions as s')
    .select('s.session_id')
    .where('s.session_id', '=', owner.sessionId)
    .where(ownedBy(owner))
    .forUpdate()
    .executeTakeFirst()
  return row !== undefined
}

/** Marks `owner`'s session as changed; false when it is missing or someone else's. */
export async function touchOwnedSession(db: Kysely<Database>, owner: SessionOwner): Promise<boolean> {
  const result = await db
    .updateTable('agent_sessions as s')
    .set({ updated_at: sql`now()` })
    .where('s.session_id', '=', owner.sessionId)
    .where(ownedBy(owner))
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Whether `ref`'s session row exists. */
export async function sessionExists(db: Kysely<Database>, ref: SessionRef): Promise<boolean> {
  return (await readSessionOwner(db, ref)) !== undefined
}

/**
 * The session's owner and extraction watermark, or undefined when it does not exist. `keyShare`
 * locks the row `FOR KEY SHARE`: it cannot be deleted (and `popItem` waits) until the
 * transaction ends, while `addItems` is not blocked.
 */
export async function readExtractionMark(
  db: Kysely<Database>,
  ref: SessionRef,
  options: { keyShare?: boolean } = {},
): Promise<ExtractionMark | undefined> {
  const query = db
    .selectFrom('agent_sessions')
    .select(['user_id', 'namespace', 'extracted_through'])
    .where('user_id', '=', tenantOf(ref))
    .where('session_id', '=', ref.sessionId)
  const row = await (options.keyShare ? query.forKeyShare() : query).executeTakeFirst()
  return row && { ...storedOwner(row), watermark: row.extracted_through }
}

/** Moves the extraction watermark to `through`. */
export async function advanceWatermark(db: Kysely<Database>, ref: SessionRef, through: number): Promise<void> {
  await db
    .updateTable('agent_sessions')
    .set({ extracted_through: through })
    .where('user_id', '=', tenantOf(ref))
    .where('session_id', '=', ref.sessionId)
    .execute()
}

/**
 * The extraction watermark (`extracted_through`) of each given session that still exists.
 * A session deleted meanwhile (forgetUser, plain SQL) is absent from the map.
 */
export async function readWatermarks(db: Kysely<Database>, userId: string, sessionIds: readonly string[]): Promise<Map<string, number>> {
  if (sessionIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('agent_sessions')
    .select(['session_id', 'extracted_through'])
    .where('user_id', '=', userId)
    .where('session_id', 'in', [...sessionIds])
    .execute()
  return new Map(rows.map((r) => [r.session_id, r.extracted_through]))
}

/**
 * One page of sessions with a user whose watermark lags their newest message, ordered by session
 * id after `after`: what the sweep re-enqueues. Sessions without a user have nothing to extract.
 */
export async function findLaggingSessions(
  db: Kysely<Database>,
  page: { after: string; limit: number; userId?: string | undefined },
): Promise<LaggingSession[]> {
  let query = db
    .selectFrom('agent_sessions as s')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('agent_messages as m')
          .select(sql<number | null>`max(m.id)`.as('newest'))
          .whereRef('m.user_id', '=', 's.user_id')
          .whereRef('m.session_id', '=', 's.session_id')
          .as('latest'),
      (join) => join.onTrue(),
    )
    .select(['s.session_id', 's.user_id', 'latest.newest'])
    .where(hasUser)
    .where('s.session_id', '>', page.after)
    .where(sql<boolean>`latest.newest > s.extracted_through`)
    .orderBy('s.session_id')
    .limit(page.limit)
  if (page.userId !== undefined) query = query.where('s.user_id', '=', page.userId)
  const rows = await query.execute()
  return rows.map((r) => ({ sessionId: r.session_id, userId: r.user_id, newestMessageId: r.newest! }))
}

/**
 * The user of a session found by its id alone, for an extraction job queued before jobs carried
 * their user. Every shard on Citus; undefined when no session with a user has the id.
 */
export async function findSessionUserId(db: Kysely<Database>, sessionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('agent_sessions as s')
    .select('s.user_id')
    .where('s.session_id', '=', sessionId)
    .where(hasUser)
    .limit(1)
    .executeTakeFirst()
  return row?.user_id
}

/**
 * Every session with this id, whoever owns it (at most `limit`): for the operator's CLI, which may
 * be given an id without its user. One per id on a single node; on Citus, one per user using it.
 */
export async function findSessionsById(db: Kysely<Database>, sessionId: string, limit = 2): Promise<SessionRef[]> {
  const rows = await db
    .selectFrom('agent_sessions')
    .select('user_id')
    .where('session_id', '=', sessionId)
    .orderBy('user_id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ sessionId, userId: userOfTenant(r.user_id) }))
}

/** The most recently updated sessions, optionally of one user, with their item counts. */
export async function listSessions(
  db: Kysely<Database>,
  options: { userId?: string | undefined; limit: number },
): Promise<SessionSummary[]> {
  let query = db
    .selectFrom('agent_sessions as s')
    .select([
      's.session_id',
      's.user_id',
      's.namespace',
      's.updated_at',
      's.extracted_through',
      (eb) =>
        eb
          .selectFrom('agent_messages as m')
          .whereRef('m.user_id', '=', 's.user_id')
          .whereRef('m.session_id', '=', 's.session_id')
          .select(sql<number>`count(*)`.as('n'))
          .as('items'),
    ])
    .orderBy('s.updated_at', 'desc')
    .limit(options.limit)
  if (options.userId !== undefined) query = query.where('s.user_id', '=', options.userId)
  const rows = await query.execute()
  return rows.map((r) => ({
    sessionId: r.session_id,
    userId: userOfTenant(r.user_id),
    namespace: r.namespace,
    items: r.items ?? 0,
    updatedAt: r.updated_at,
    extractedThrough: r.extracted_through,
  }))
}

/** Deletes every session of a user (their messages and operation records cascade); returns how many. */
export async function deleteUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  const result = await db.deleteFrom('agent_sessions').where('agent_sessions.user_id', '=', userId).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** A user and namespace that own sessions, as the inspector lists them. */
export interface SessionUser {
  userId: string
  namespace: string
  sessions: number
  lastActive: Date
}

/**
 * Users and namespaces that own sessions, most recently active first; `search` keeps the user
 * ids that contain it (case-insensitive). For operators (the inspector), never on a user's behalf.
 */
export async function listSessionUsers(
  db: Kysely<Database>,
  options: { search?: string | undefined; limit: number },
): Promise<SessionUser[]> {
  let query = db
    .selectFrom('agent_sessions as s')
    .select(['s.user_id', 's.namespace', sql<number>`count(*)`.as('n'), sql<Date>`max(s.updated_at)`.as('last_active')])
    .where(hasUser)
    .groupBy(['s.user_id', 's.namespace'])
    .orderBy(sql`max(s.updated_at)`, 'desc')
    .limit(options.limit)
  if (options.search) query = query.where(sql<boolean>`strpos(lower(s.user_id), lower(${options.search})) > 0`)
  const rows = await query.execute()
  return rows.map((r) => ({ userId: r.user_id, namespace: r.namespace, sessions: Number(r.n), lastActive: new Date(r.last_active) }))
}

/** A session of one owner with its extraction progress: watermark against newest message. */
export interface OwnedSessionProgress {
  sessionId: string
  items: number
  /** Id of the newest message (0 when empty). */
  newestMessageId: number
  extractedThrough: number
  createdAt: Date
  updatedAt: Date
}

/** The sessions of one `(userId, namespace)` (or the one named), most recently active first, with their extraction progress. */
export async function listOwnedSessions(
  db: Kysely<Database>,
  owner: { userId: string; namespace: string },
  options: { limit: number; sessionId?: string | undefined },
): Promise<OwnedSessionProgress[]> {
  let query = db
    .selectFrom('agent_sessions as s')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('agent_messages as m')
          .select([sql<number | null>`max(m.id)`.as('newest'), sql<number>`count(*)`.as('items')])
          .whereRef('m.user_id', '=', 's.user_id')
          .whereRef('m.session_id', '=', 's.session_id')
          .as('latest'),
      (join) => join.onTrue(),
    )
    .select(['s.session_id', 's.created_at', 's.updated_at', 's.extracted_through', 'latest.newest', 'latest.items'])
    .where('s.user_id', '=', owner.userId)
    .where('s.namespace', '=', owner.namespace)
    .orderBy('s.updated_at', 'desc')
    .orderBy('s.session_id')
    .limit(options.limit)
  if (options.sessionId !== undefined) query = query.where('s.session_id', '=', options.sessionId)
  const rows = await query.execute()
  return rows.map((r) => ({
    sessionId: r.session_id,
    items: Number(r.items),
    newestMessageId: Number(r.newest ?? 0),
    extractedThrough: r.extracted_through,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  }))
}

/** How many sessions a user has, in every namespace. */
export async function countUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('agent_sessions')
    .select(sql<number>`count(*)`.as('n'))
    .where('agent_sessions.user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
