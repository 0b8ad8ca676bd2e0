import { randomUUID } from 'node:crypto'
import { sql, type Kysely, type QueryCreator } from 'kysely'
import type { Database, FactEventType, FactStatus } from '../db/schema.js'
import { toVectorLiteral } from '../db/vector.js'
import { isUuid } from '../assert-id.js'
import type { Scope } from '../scope.js'
import { FACT_COLUMNS, rowToFact, type Fact, type FactEventMeta, type FactSourceRef } from './fact.js'
import { scopedFacts } from './scoped-facts.js'

/** Columns a new fact is written with; everything else takes its default. */
export interface NewFact {
  content: string
  kind?: string | null | undefined
  key?: string | null | undefined
  confidence?: number | undefined
  embedding: readonly number[]
  validFrom?: Date | undefined
}

/** Filters for `listFacts`. */
export interface ListFactsFilter {
  kind?: string | undefined
  /** One status or several; omitted means `active` only. */
  status?: FactStatus | readonly FactStatus[] | undefined
  /** Only facts created at or after this time. */
  since?: Date | undefined
  /** @defaultValue 100 */
  limit?: number | undefined
}

/** What changes on `updateFactRow`; absent fields are left alone. */
export interface FactPatch {
  content?: string | undefined
  kind?: string | null | undefined
  key?: string | null | undefined
  confidence?: number | undefined
  embedding?: readonly number[] | null | undefined
  status?: FactStatus | undefined
  validTo?: Date | null | undefined
  supersededBy?: string | null | undefined
}

/** One `fact_events` row to append. */
export interface FactEventInput {
  factId: string
  type: FactEventType
  before?: unknown
  after?: unknown
  reason?: string | undefined
  meta?: FactEventMeta | undefined
}

/**
 * Inserts several facts in one statement and returns them in input order. The ids are drawn here
 * rather than by the column default, so each returned row is matched to its input by id instead
 * of relying on the order of `RETURNING`.
 */
export async function insertFacts(db: Kysely<Database>, scope: Scope, facts: readonly NewFact[]): Promise<Fact[]> {
  if (facts.length === 0) return []
  const ids = facts.map(() => randomUUID())
  const rows = await db
    .insertInto('facts')
    .values(
      facts.map((fact, i) => ({
        id: ids[i],
        user_id: scope.userId,
        namespace: scope.namespace,
        content: fact.content,
        kind: fact.kind ?? null,
        key: fact.key ?? null,
        confidence: fact.confidence ?? 1,
        status: 'active' as const,
        embedding: toVectorLiteral(fact.embedding),
        ...(fact.validFrom ? { valid_from: fact.validFrom } : {}),
      })),
    )
    .returning(FACT_COLUMNS)
    .execute()
  const byId = new Map(rows.map((r) => [r.id, rowToFact(r)]))
  return ids.map((id) => byId.get(id) as Fact)
}

/** The fact, or `undefined` when it does not exist in this scope. `forUpdate` locks the row. */
export async function getFact(
  db: Kysely<Database>,
  scope: Scope,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Fact | undefined> {
  if (!isUuid(id)) return undefined
  let q = scopedFacts(db, scope).select(FACT_COLUMNS).where('facts.id', '=', id)
  if (options.forUpdate) q = q.forUpdate()
  const row = await q.executeTakeFirst()
  return row ? rowToFact(row) : undefined
}

/** The scope's facts, newest first. */
export async function listFacts(db: Kysely<Database>, scope: Scope, filter: ListFactsFilter = {}): Promise<Fact[]> {
  const statuses: readonly FactStatus[] =
    filter.status === undefined ? ['active'] : typeof filter.status === 'string' ? [filter.status] : filter.status
  let q = scopedFacts(db, scope).select(FACT_COLUMNS).where('facts.status', 'in', [...statuses])
  if (filter.kind !== undefined) q = q.where('facts.kind', '=', filter.kind)
  if (filter.since !== undefined) q = q.where('facts.created_at', '>=', filter.since)
  const rows = await q
    .orderBy('facts.created_at', 'desc')
    .orderBy('facts.id')
    .limit(filter.limit ?? 100)
    .execute()
  return rows.map(rowToFact)
}

/** Applies `patch` to one fact of the scope and returns it, or `undefined` when there is no such fact. */
export async function updateFactRow(
  db: Kysely<Database>,
  scope: Scope,
  id: string,
  patch: FactPatch,
): Promise<Fact | undefined> {
  if (!isUuid(id)) return undefined
  const row = await db
    .updateTable('facts')
    .set({
      updated_at: sql`now()`,
      ...(patch.content !== undefined ? { content: patch.content } : {}),
      ...(patch.kind !== undefined ? { kind: patch.kind } : {}),
      ...(patch.key !== undefined ? { key: patch.key } : {}),
      ...(patch.confidence !== undefined ? { confidence: patch.confidence } : {}),
      ...(patch.embedding !== undefined
        ? { embedding: patch.embedding === null ? null : toVectorLiteral(patch.embedding) }
        : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.validTo !== undefined ? { valid_to: patch.validTo } : {}),
      ...(patch.supersededBy !== undefined ? { superseded_by: patch.supersededBy } : {}),
    })
    .where('facts.user_id', '=', scope.userId)
    .where('facts.id', 'in', scopedFacts(db, scope).select('facts.id').where('facts.id', '=', id))
    .returning(FACT_COLUMNS)
    .executeTakeFirst()
  return row ? rowToFact(row) : undefined
}

/** Links a fact to transcript items; links that already exist are kept as they are. Returns the new links. */
export async function insertFactSources(
  db: Kysely<Database>,
  scope: Scope,
  factId: string,
  sources: readonly FactSourceRef[],
): Promise<FactSourceRef[]> {
  if (sources.length === 0) return []
  const rows = await db
    .insertInto('fact_sources')
    .values(sources.map((s) => ({ user_id: scope.userId, fact_id: factId, message_id: s.messageId, session_id: s.sessionId })))
    .onConflict((oc) => oc.columns(['user_id', 'fact_id', 'message_id']).doNothing())
    .returning(['message_id', 'session_id'])
    .execute()
  return rows.map((r) => ({ sessionId: r.session_id, messageId: Number(r.message_id) }))
}

/** One `fact_sources` row: a fact drawn from a transcript item. */
export interface FactSourceLink extends FactSourceRef {
  factId: string
}

/**
 * Links facts to transcript items and appends history rows in one statement (the links as a
 * data-modifying CTE), for writers that already know which links are new: facts inserted in the
 * same transaction have none yet. Links that already exist are kept as they are.
 */
export async function insertFactLinksAndEvents(
  db: Kysely<Database>,
  scope: Scope,
  links: readonly FactSourceLink[],
  events: readonly FactEventInput[],
): Promise<void> {
  const linkRows = links.map((l) => ({ user_id: scope.userId, fact_id: l.factId, message_id: l.messageId, session_id: l.sessionId }))
  const eventRows = events.map((e) => factEventRow(scope, e))
  if (linkRows.length === 0) {
    if (eventRows.length > 0) await db.insertInto('fact_events').values(eventRows).execute()
    return
  }
  const insertLinks = (qc: QueryCreator<Database>) =>
    qc
      .insertInto('fact_sources')
      .values(linkRows)
      .onConflict((oc) => oc.columns(['user_id', 'fact_id', 'message_id']).doNothing())
  if (eventRows.length === 0) {
    await insertLinks(db).execute()
    return
  }
  await db
    .with('linked', (qc) => insertLinks(qc).returning('fact_sources.fact_id'))
    .insertInto('fact_events')
    .values(eventRows)
    .execute()
}

/** Removes `content` and `key` from every earlier event of the fact, for a forgotten fact. */
export async function stripEventContent(db: Kysely<Database>, scope: Scope, factId: string): Promise<void> {
  await db
    .updateTable('fact_events')
    .set({
      before: sql`${sql.ref('before')} - array['content', 'key']`,
      after: sql`${sql.ref('after')} - array['content', 'key']`,
    })
    .where('fact_events.fact_id', '=', factId)
    .where('fact_events.user_id', '=', scope.userId)
    .where('fact_events.namespace', '=', scope.namespace)
    .execute()
}

/** The fact's history rows, oldest first. */
export async function listFactEvents(db: Kysely<Database>, scope: Scope, factId: string) {
  return db
    .selectFrom('fact_events')
    .selectAll()
    .where('fact_events.fact_id', '=', factId)
    .where('fact_events.user_id', '=', scope.userId)
    .where('fact_events.namespace', '=', scope.namespace)
    .orderBy('fact_events.id')
    .execute()
}

/** Appends one history row; the fact's scope is copied onto it so history can be read per user. */
export async function insertFactEvent(db: Kysely<Database>, scope: Scope, event: FactEventInput): Promise<void> {
  await db.insertInto('fact_events').values(factEventRow(scope, event)).execute()
}

function factEventRow(scope: Scope, event: FactEventInput) {
  return {
    fact_id: event.factId,
    user_id: scope.userId,
    namespace: scope.namespace,
    event_type: event.type,
    before: event.before === undefined ? null : JSON.stringify(event.before),
    after: event.after === undefined ? null : JSON.stringify(event.after),
    reason: event.reason ?? null,
    job_id: event.meta?.jobId ?? null,
    extractor: event.meta?.extractor ?? null,
    model: event.meta?.model ?? null,
  }
}

/**
 * Whose a fact is, by id alone: for operators (the CLI), who name a fact without a user. Never
 * used on a user's behalf; every user-facing read goes through `scopedFacts`.
 */
export async function readFactOwner(db: Kysely<Database>, factId: string): Promise<Scope | undefined> {
  const row = await db.selectFrom('facts').select(['user_id', 'namespace']).where('id', '=', factId).executeTakeFirst()
  return row && { userId: row.user_id, namespace: row.namespace }
}

/** A user and namespace that hold facts, as the inspector lists them. */
export interface FactUser {
  userId: string
  namespace: string
  /** Active facts. */
  facts: number
}

/**
 * Users and namespaces that hold facts (any status), with their active fact count; `search` keeps
 * user ids that contain it. For operators (the inspector), never on a user's behalf.
 */
export async function listFactUsers(
  db: Kysely<Database>,
  options: { search?: string | undefined; limit: number },
): Promise<FactUser[]> {
  let query = db
    .selectFrom('facts')
    .select([
      'facts.user_id',
      'facts.namespace',
      sql<number>`count(*) filter (where ${sql.ref('facts.status')} = 'active')`.as('n'),
    ])
    .groupBy(['facts.user_id', 'facts.namespace'])
    .orderBy('facts.user_id')
    .orderBy('facts.namespace')
    .limit(options.limit)
  if (options.search) query = query.where(sql<boolean>`strpos(lower(facts.user_id), lower(${options.search})) > 0`)
  const rows = await query.execute()
  return rows.map((r) => ({ userId: r.user_id, namespace: r.namespace, facts: Number(r.n) }))
}

/** A fact of the scope that cites a transcript message. */
export interface CitingFact {
  messageId: number
  factId: string
  content: string
  status: FactStatus
}

/** The scope's facts that cite any of these messages, by message: "which facts came from this?". */
export async function listFactsCitingMessages(
  db: Kysely<Database>,
  scope: Scope,
  messageIds: readonly number[],
): Promise<CitingFact[]> {
  if (messageIds.length === 0) return []
  const rows = await scopedFacts(db, scope)
    .innerJoin('fact_sources', (join) => join.onRef('fact_sources.user_id', '=', 'facts.user_id').onRef('fact_sources.fact_id', '=', 'facts.id'))
    .select(['fact_sources.message_id', 'facts.id', 'facts.content', 'facts.status'])
    .where('fact_sources.user_id', '=', scope.userId)
    .where('fact_sources.message_id', 'in', [...messageIds])
    .orderBy('fact_sources.message_id')
    .orderBy('facts.created_at')
    .execute()
  return rows.map((r) => ({ messageId: Number(r.message_id), factId: r.id, content: r.content, status: r.status }))
}

/** How many facts (any status, every namespace) and fact events a user has: what `forgetUser` would delete. */
export async function countUserFacts(db: Kysely<Database>, userId: string): Promise<{ facts: number; events: number }> {
  const [facts, events] = await Promise.all([
    db.selectFrom('facts').select(sql<number>`count(*)`.as('n')).where('facts.user_id', '=', userId).executeTakeFirstOrThrow(),
    db.selectFrom('fact_events').select(sql<number>`count(*)`.as('n')).where('fact_events.user_id', '=', userId).executeTakeFirstOrThrow(),
  ])
  return { facts: Number(facts.n), events: Number(events.n) }
}
