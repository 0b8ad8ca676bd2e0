import { z } from 'zod'
import type { FactlineDb } from '../db/create-db.js'
import { withUserScope } from '../db/user-scope.js'
import type { FactEventType } from '../db/schema.js'
import { parseOrThrow } from '../errors.js'
import { decodeItem } from '../session/item-codec.js'
import { itemText } from '../session/item-text.js'
import { messageData } from '../session/messages-table.js'
import { assertScope, ScopeSchema, type Scope } from '../scope.js'
import { FACT_COLUMNS, rowToFact, type Fact } from './fact.js'
import { isUuid } from '../assert-id.js'
import { getFact, listFactEvents } from './fact-repository.js'
import { factNotFound } from './fact-writes.js'
import { scopedFacts } from './scoped-facts.js'

/** Longest supersession chain followed in either direction; real chains are a handful of links. */
const MAX_CHAIN = 100

/** A transcript item a fact was drawn from, as stored. */
export interface ExplainedSource {
  sessionId: string
  messageId: number
  /** When the message was stored. */
  createdAt: Date
  /** The Agents SDK item exactly as it was added to the session. */
  item: unknown
  /** `user`, `assistant`, … (see `itemText`). */
  role: string
  text: string
}

/** One change in the fact's history (`fact_events`). */
export interface ExplainedEvent {
  id: number
  type: FactEventType
  before: unknown
  after: unknown
  reason: string | null
  jobId: string | null
  extractor: string | null
  model: string | null
  createdAt: Date
}

/** Why factline believes a fact: where it came from, what happened to it, what it replaced. */
export interface FactExplanation {
  fact: Fact
  /** The transcript items it was drawn from, oldest first. A deleted item is simply absent. */
  sources: ExplainedSource[]
  /** Its history, oldest first. */
  events: ExplainedEvent[]
  /** Facts this one replaced, directly or through earlier replacements; nearest first. */
  replaced: Fact[]
  /** The facts that replaced this one, in order; the last is the current belief. */
  replacedBy: Fact[]
}

const ExplainOptionsSchema = z.strictObject({ ...ScopeSchema.shape })

/**
 * Answers "why does the agent believe this?" for one fact of the user.
 * @throws FactlineError `not_found` (also for another user's or namespace's fact), `empty_id`.
 * @example
 * ```ts
 * const why = await explainFact(handle, factId, { userId: 'u1' })
 * for (const s of why.sources) console.log(s.role, s.text, s.createdAt)
 * ```
 */
export async function explainFact(
  handle: FactlineDb,
  factId: string,
  options: { userId: string; namespace?: string },
): Promise<FactExplanation> {
  const scope: Scope = parseOrThrow(ExplainOptionsSchema, options, 'invalid_argument', 'Invalid explain options')
  assertScope(scope)
  return withUserScope(handle, scope.userId, (db) => explainInScope({ ...handle, db }, factId, scope))
}

async function explainInScope(handle: FactlineDb, factId: string, scope: Scope): Promise<FactExplanation> {
  const { db } = handle
  const fact = await getFact(db, scope, factId)
  if (!fact) throw factNotFound(factId, scope)

  const [sourceRows, eventRows] = await Promise.all([
    db
      .selectFrom('fact_sources')
      .innerJoin('agent_messages', 'agent_messages.id', 'fact_sources.message_id')
      .select([
        'fact_sources.session_id',
        'fact_sources.message_id',
        'agent_messages.created_at',
        messageData('agent_messages.message_data'),
      ])
      .where('fact_sources.fact_id', '=', fact.id)
      .orderBy('fact_sources.message_id')
      .execute(),
    listFactEvents(db, scope, fact.id),
  ])

  const sources = sourceRows.map((r) => {
    const item = decodeItem(r.data) as unknown as Record<string, unknown>
    const { role, text } = itemText(item)
    return { sessionId: r.session_id, messageId: r.message_id, createdAt: new Date(r.created_at), item, role, text }
  })
  const events = eventRows.map((e) => ({
    id: Number(e.id),
    type: e.event_type,
    before: parseJson(e.before),
    after: parseJson(e.after),
    reason: e.reason,
    jobId: e.job_id,
    extractor: e.extractor,
    model: e.model,
    createdAt: new Date(e.created_at),
  }))

  return { fact, sources, events, replaced: await predecessors(handle, scope, fact), replacedBy: await successors(handle, scope, fact) }
}

async function predecessors(handle: FactlineDb, scope: Scope, fact: Fact): Promise<Fact[]> {
  const found: Fact[] = []
  const seen = new Set([fact.id])
  let frontier = [fact.id]
  while (frontier.length > 0 && found.length < MAX_CHAIN) {
    const rows = await scopedFacts(handle.db, scope)
      .select(FACT_COLUMNS)
      .where('facts.superseded_by', 'in', frontier)
      .orderBy('facts.valid_to', 'desc')
      .orderBy('facts.id')
      .execute()
    frontier = []
    for (const row of rows) {
      if (seen.has(row.id)) continue
      seen.add(row.id)
      found.push(rowToFact(row))
      frontier.push(row.id)
    }
  }
  return found
}

async function successors(handle: FactlineDb, scope: Scope, fact: Fact): Promise<Fact[]> {
  const found: Fact[] = []
  const seen = new Set([fact.id])
  let next = fact.supersededBy
  while (next && isUuid(next) && !seen.has(next) && found.length < MAX_CHAIN) {
    seen.add(next)
    const successor = await getFact(handle.db, scope, next)
    if (!successor) break
    found.push(successor)
    next = successor.supersededBy
  }
  return found
}

/** jsonb arrives parsed from pg and PGlite alike; a string here would be a driver configured otherwise. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value
}
