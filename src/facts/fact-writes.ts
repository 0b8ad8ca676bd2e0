import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { FactlineError } from '../errors.js'
import { sessionExists } from '../session/sessions-table.js'
import type { Scope } from '../scope.js'
import type { Fact, FactEventMeta, FactSourceRef } from './fact.js'
import {
  getFact,
  insertFactEvent,
  insertFactLinksAndEvents,
  insertFacts,
  insertFactSources,
  updateFactRow,
  type FactSourceLink,
  type NewFact,
} from './fact-repository.js'

/**
 * Transaction-scoped fact writes. Each function takes a `Kysely<Database>` that is normally a
 * `Transaction` opened by the caller (the fact store, or the extraction processor so that its
 * watermark moves in the same commit), checks what it must, writes, and appends the matching
 * `fact_events` row. Inputs are trusted here (validated by the caller); embeddings are computed
 * by the caller before the transaction opens, so no network call ever holds row locks.
 */

/** Who and why, recorded on the event each write appends. */
export interface WriteContext {
  meta?: FactEventMeta | undefined
  reason?: string | undefined
}

/** A new fact together with the transcript items it was drawn from (at least one). */
export interface NewFactWithSources extends NewFact {
  sources: readonly FactSourceRef[]
}

/** The fields an event records; `content` and `key` are removed from history when a fact is forgotten. */
export function factSnapshot(fact: Fact) {
  return {
    content: fact.content,
    kind: fact.kind,
    key: fact.key,
    status: fact.status,
    confidence: fact.confidence,
    validFrom: fact.validFrom.toISOString(),
    validTo: fact.validTo?.toISOString() ?? null,
    supersededBy: fact.supersededBy,
  }
}

/**
 * Checks that every source names an existing message of the given session, and that the session
 * belongs to the scope: its user and its namespace, so a "sales" fact cannot cite a "support"
 * message. A session of another user or namespace is reported exactly like a missing one.
 * @throws FactlineError `invalid_argument` (no sources), `not_found`, `unknown_user` (the session has no user).
 */
export async function assertSourcesOwnedBy(
  db: Kysely<Database>,
  scope: Scope,
  sources: readonly FactSourceRef[],
): Promise<void> {
  const { userId, namespace } = scope
  if (sources.length === 0) throw noSources()
  const rows = await db
    .selectFrom('agent_messages')
    .innerJoin('agent_sessions', (join) =>
      join.onRef('agent_sessions.user_id', '=', 'agent_messages.user_id').onRef('agent_sessions.session_id', '=', 'agent_messages.session_id'),
    )
    .select(['agent_messages.id', 'agent_messages.session_id', 'agent_sessions.namespace'])
    .where('agent_messages.user_id', '=', userId)
    .where(sql.ref<string>('agent_messages.id'), 'in', [...new Set(sources.map((s) => String(s.messageId)))])
    .execute()
  const byId = new Map(rows.map((r) => [Number(r.id), r]))
  for (const source of sources) {
    const row = byId.get(source.messageId)
    if (!row && (await sessionExists(db, { sessionId: source.sessionId, userId: null }))) {
      throw new FactlineError(
        'unknown_user',
        `session ${JSON.stringify(source.sessionId)} has no user, so its items cannot be the source of ` +
          `facts about ${JSON.stringify(userId)}; open the session with a userId`,
        { details: { sessionId: source.sessionId, messageId: source.messageId } },
      )
    }
    if (!row || row.session_id !== source.sessionId || row.namespace !== namespace) {
      throw new FactlineError(
        'not_found',
        `message ${source.messageId} of session ${JSON.stringify(source.sessionId)} was not found for user ` +
          `${JSON.stringify(userId)} in namespace ${JSON.stringify(namespace)}`,
        { details: { sessionId: source.sessionId, messageId: source.messageId } },
      )
    }
  }
}

/**
 * Inserts a fact with its sources and an `added` event. The call the extraction pipeline makes
 * inside its own transaction.
 * @throws FactlineError as `assertSourcesOwnedBy`.
 */
export async function insertFactWithSources(
  db: Kysely<Database>,
  scope: Scope,
  input: NewFactWithSources,
  context: WriteContext = {},
): Promise<Fact> {
  const [fact] = await insertFactsWithSources(db, scope, [{ ...input, reason: context.reason }], context.meta)
  return fact as Fact
}

/** A new fact for `insertFactsWithSources`, with the reason its `added` event records. */
export interface NewFactEntry extends NewFactWithSources {
  reason?: string | undefined
}

/**
 * Inserts facts with their sources and an `added` event each, in three statements whatever their
 * number: one ownership check for every cited item, one multi-row insert of the facts, and one of
 * the links and events together. Returns the facts in input order.
 * @throws FactlineError as `assertSourcesOwnedBy`, for any entry; then nothing is written.
 */
export async function insertFactsWithSources(
  db: Kysely<Database>,
  scope: Scope,
  entries: readonly NewFactEntry[],
  meta?: FactEventMeta | undefined,
): Promise<Fact[]> {
  if (entries.length === 0) return []
  // Every fact needs a source of its own; the union checked below would hide one without.
  if (entries.some((e) => e.sources.length === 0)) throw noSources()
  await assertSourcesOwnedBy(db, scope, entries.flatMap((e) => e.sources))
  const facts = await insertFacts(db, scope, entries)
  const links: FactSourceLink[] = []
  const events = facts.map((fact, i) => {
    // A fact inserted just now has no links yet, so every distinct cited item becomes one.
    const sources = uniqueSources(entries[i]!.sources)
    for (const s of sources) links.push({ factId: fact.id, ...s })
    return {
      factId: fact.id,
      type: 'added' as const,
      after: { ...factSnapshot(fact), sources },
      reason: entries[i]!.reason,
      meta,
    }
  })
  await insertFactLinksAndEvents(db, scope, links, events)
  return facts
}

/** First link per message, as `insert … on conflict (fact_id, message_id) do nothing` keeps it. */
function uniqueSources(sources: readonly FactSourceRef[]): FactSourceRef[] {
  const seen = new Set<number>()
  const out: FactSourceRef[] = []
  for (const s of sources) {
    if (seen.has(s.messageId)) continue
    seen.add(s.messageId)
    out.push({ sessionId: s.sessionId, messageId: s.messageId })
  }
  return out
}

/** Locks the fact for the rest of the transaction. @throws FactlineError `not_found`. */
export async function lockFact(db: Kysely<Database>, scope: Scope, id: string): Promise<Fact> {
  const fact = await getFact(db, scope, id, { forUpdate: true })
  if (!fact) throw factNotFound(id, scope)
  return fact
}

/** What `updateFactInTx` may change. Pass `embedding` whenever `content` changes. */
export interface FactChanges {
  content?: string | undefined
  kind?: string | null | undefined
  key?: string | null | undefined
  confidence?: number | undefined
  embedding?: readonly number[] | undefined
}

/**
 * Changes an active fact in place and appends an `updated` event (before and after).
 * A change that alters nothing writes nothing and returns the fact as it is.
 * @throws FactlineError `not_found`, `invalid_argument` when the fact is not active.
 */
export async function updateFactInTx(
  db: Kysely<Database>,
  scope: Scope,
  id: string,
  changes: FactChanges,
  context: WriteContext = {},
): Promise<Fact> {
  const before = await lockFact(db, scope, id)
  assertActive(before, 'update')
  const same =
    (changes.content === undefined || changes.content === before.content) &&
    (changes.kind === undefined || changes.kind === before.kind) &&
    (changes.key === undefined || changes.key === before.key) &&
    (changes.confidence === undefined || changes.confidence === before.confidence)
  if (same) return before
  const after = (await updateFactRow(db, scope, id, {
    content: changes.content,
    kind: changes.kind,
    key: changes.key,
    confidence: changes.confidence,
    embedding: changes.content !== undefined && changes.content !== before.content ? changes.embedding : undefined,
  })) as Fact
  await insertFactEvent(db, scope, {
    factId: id,
    type: 'updated',
    before: factSnapshot(before),
    after: factSnapshot(after),
    reason: context.reason,
    meta: context.meta,
  })
  return after
}

/**
 * Adds provenance to an existing fact (e.g. the user said it again) and appends a `source_added`
 * event listing the new links. Links that already exist are ignored; if none is new, nothing is written.
 * @throws FactlineError `not_found`, `unknown_user`, `invalid_argument` (no sources).
 */
export async function addSourcesInTx(
  db: Kysely<Database>,
  scope: Scope,
  id: string,
  sources: readonly FactSourceRef[],
  context: WriteContext = {},
): Promise<{ fact: Fact; added: FactSourceRef[] }> {
  const fact = await lockFact(db, scope, id)
  await assertSourcesOwnedBy(db, scope, sources)
  const added = await insertFactSources(db, scope, id, sources)
  if (added.length > 0) {
    await insertFactEvent(db, scope, {
      factId: id,
      type: 'source_added',
      after: { sources: added },
      reason: context.reason,
      meta: context.meta,
    })
  }
  return { fact, added }
}

/**
 * Replaces an active fact with a new one: the new fact is inserted with its sources (`added`),
 * and the old one becomes `superseded` with `valid_to = now()` and `superseded_by` pointing at the
 * new one (`superseded`). Both keep their sources, so either can still be explained.
 * @throws FactlineError `not_found`, `invalid_argument` when the old fact is not active, and as `insertFactWithSources`.
 */
export async function supersedeInTx(
  db: Kysely<Database>,
  scope: Scope,
  oldId: string,
  replacement: NewFactWithSources,
  context: WriteContext = {},
): Promise<{ previous: Fact; current: Fact }> {
  const before = await lockFact(db, scope, oldId)
  assertActive(before, 'supersede')
  const current = await insertFactWithSources(db, scope, replacement, {
    meta: context.meta,
    reason: context.reason ?? `supersedes ${oldId}`,
  })
  const previous = (await updateFactRow(db, scope, oldId, {
    status: 'superseded',
    validTo: current.validFrom,
    supersededBy: current.id,
  })) as Fact
  await insertFactEvent(db, scope, {
    factId: oldId,
    type: 'superseded',
    before: factSnapshot(before),
    after: factSnapshot(previous),
    reason: context.reason,
    meta: context.meta,
  })
  return { previous, current }
}

/**
 * Marks a fact as no longer true (`retracted`, `valid_to = now()`), keeping its content and sources
 * for the record. Retracting a fact that is already retracted or forgotten changes nothing.
 * @throws FactlineError `not_found`.
 */
export async function retractInTx(
  db: Kysely<Database>,
  scope: Scope,
  id: string,
  context: WriteContext = {},
): Promise<Fact> {
  const before = await lockFact(db, scope, id)
  if (before.status === 'retracted' || before.status === 'forgotten') return before
  const after = (await updateFactRow(db, scope, id, {
    status: 'retracted',
    validTo: before.validTo ?? new Date(),
  })) as Fact
  await insertFactEvent(db, scope, {
    factId: id,
    type: 'retracted',
    before: { status: before.status },
    after: { status: after.status },
    reason: context.reason,
    meta: context.meta,
  })
  return after
}

export function factNotFound(id: string, scope: Scope): FactlineError {
  return new FactlineError(
    'not_found',
    `fact ${JSON.stringify(id)} was not found for user ${JSON.stringify(scope.userId)} in namespace ${JSON.stringify(scope.namespace)}`,
    { details: { factId: id } },
  )
}

function noSources(): FactlineError {
  return new FactlineError('invalid_argument', 'a fact needs at least one source: the transcript item it was drawn from')
}

function assertActive(fact: Fact, action: string): void {
  if (fact.status !== 'active') {
    throw new FactlineError('invalid_argument', `cannot ${action} fact ${fact.id}: it is ${fact.status}, not active`, {
      details: { factId: fact.id, status: fact.status },
    })
  }
}
