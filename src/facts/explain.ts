import { sql } from 'kysely'
import { z } from 'zod'
import type { FactlineDb } from '../db/create-db.js'
import { retryRead } from '../db/retry-read.js'
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

/** Characters of a source's `text` that `explain` returns; the rest stays in the transcript. */
export const MAX_SOURCE_TEXT_CHARS = 4096

/** A source's stored item is returned only up to this many characters of JSON, else `item` is null. */
export const MAX_SOURCE_ITEM_CHARS = 16_384

/** Sources per `explain` page. @defaultValue 20 */
export const DEFAULT_SOURCE_LIMIT = 20

/** A transcript item a fact was drawn from, as stored. */
export interface ExplainedSource {
  sessionId: string
  messageId: number
  /** When the message was stored. */
  createdAt: Date
  /**
   * The Agents SDK item exactly as it was added to the session, or `null` when its JSON is over
   * `MAX_SOURCE_ITEM_CHARS` (then `truncated` is true; the session still holds it whole).
   */
  item: unknown
  /** `user`, `assistant`, … (see `itemText`). */
  role: string
  /** The item's text, cut at `MAX_SOURCE_TEXT_CHARS`. */
  text: string
  /** Whether `text` was cut or `item` left out because of their size. */
  truncated: boolean
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
  /**
   * One page of the transcript items it was drawn from, oldest first (`sourceLimit` at most). A
   * deleted item is simply absent.
   */
  sources: ExplainedSource[]
  /** How many sources the fact has in all. */
  sourceCount: number
  /** Pass as `sourceCursor` for the next page of sources; `null` on the last page. */
  nextSourceCursor: string | null
  /** Its history, oldest first. */
  events: ExplainedEvent[]
  /** Facts this one replaced, directly or through earlier replacements; nearest first. */
  replaced: Fact[]
  /** The facts that replaced this one, in order; the last is the current belief. */
  replacedBy: Fact[]
}

const ExplainOptionsSchema = z.strictObject({
  ...ScopeSchema.shape,
  /** Sources per page, 1–100. @defaultValue 20 */
  sourceLimit: z.number().int().min(1).max(100).default(DEFAULT_SOURCE_LIMIT),
  /** `nextSourceCursor` of the previous page. */
  sourceCursor: z.string().regex(/^[1-9][0-9]{0,18}$/, 'a nextSourceCursor from a previous explain').optional(),
})

/** Who asks, and which page of sources. */
export type ExplainOptions = z.input<typeof ExplainOptionsSchema>

/**
 * Answers "why does the agent believe this?" for one fact of the user. Sources come a page at a
 * time, each with its text capped, so a fact drawn from many large messages stays a small answer.
 * @throws FactlineError `not_found` (also for another user's or namespace's fact), `empty_id`,
 * `invalid_argument` (a bad `sourceLimit` or `sourceCursor`).
 * @example
 * ```ts
 * const why = await explainFact(handle, factId, { userId: 'u1' })
 * for (const s of why.sources) console.log(s.role, s.text, s.createdAt)
 * ```
 */
export async function explainFact(
  handle: FactlineDb,
  factId: string,
  options: ExplainOptions,
): Promise<FactExplanation> {
  const { sourceLimit, sourceCursor, ...scope } = parseOrThrow(ExplainOptionsSchema, options, 'invalid_argument', 'Invalid explain options')
  assertScope(scope)
  // Only reads: safe to run again on a fresh connection if the first one drops.
  return retryRead(
    () => withUserScope(handle, scope.userId, (db) => readExplanation({ ...handle, db }, scope, factId, { sourceLimit, sourceCursor })),
    handle.target,
  )
}

async function readExplanation(
  handle: FactlineDb,
  scope: Scope,
  factId: string,
  { sourceLimit, sourceCursor }: { sourceLimit: number; sourceCursor: string | undefined },
): Promise<FactExplanation> {
  const { db } = handle
  const fact = await getFact(db, scope, factId)
  if (!fact) throw factNotFound(factId, scope)

  const [sourceRows, sourceCount, eventRows] = await Promise.all([
    db
      .selectFrom('fact_sources')
      .innerJoin('agent_messages', (join) =>
        join.onRef('agent_messages.user_id', '=', 'fact_sources.user_id').onRef('agent_messages.id', '=', 'fact_sources.message_id'),
      )
      .select([
        'fact_sources.session_id',
        'fact_sources.message_id',
        'agent_messages.created_at',
        messageData('agent_messages.message_data'),
      ])
      .where('fact_sources.user_id', '=', scope.userId)
      .where('fact_sources.fact_id', '=', fact.id)
      .$if(sourceCursor !== undefined, (q) => q.where(sql.ref<string>('fact_sources.message_id'), '>', String(sourceCursor)))
      .orderBy('fact_sources.message_id')
      .limit(sourceLimit + 1)
      .execute(),
    countSources(handle, scope, fact.id),
    listFactEvents(db, scope, fact.id),
  ])

  const page = sourceRows.slice(0, sourceLimit)
  const sources = page.map((r) => explainedSource(r.session_id, r.message_id, r.created_at, r.data))
  const last = page.at(-1)
  const nextSourceCursor = sourceRows.length > sourceLimit && last ? String(last.message_id) : null
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

  const [replaced, replacedBy] = [await predecessors(handle, scope, fact), await successors(handle, scope, fact)]
  return { fact, sources, sourceCount, nextSourceCursor, events, replaced, replacedBy }
}

/** A stored item as `explain` returns it: text cut at `MAX_SOURCE_TEXT_CHARS`, a large item left out. */
function explainedSource(sessionId: string, messageId: number, createdAt: Date | string, data: string): ExplainedSource {
  const item = decodeItem(data) as unknown as Record<string, unknown>
  const { role, text: full } = itemText(item)
  const text = cutText(full, MAX_SOURCE_TEXT_CHARS)
  const itemTooLarge = data.length > MAX_SOURCE_ITEM_CHARS
  return {
    sessionId,
    messageId,
    createdAt: new Date(createdAt),
    item: itemTooLarge ? null : item,
    role,
    text,
    truncated: itemTooLarge || text.length < full.length,
  }
}

/** The first `max` UTF-16 units, never splitting a surrogate pair. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max
  return text.slice(0, end)
}

async function countSources(handle: FactlineDb, scope: Scope, factId: string): Promise<number> {
  const row = await handle.db
    .selectFrom('fact_sources')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('fact_sources.user_id', '=', scope.userId)
    .where('fact_sources.fact_id', '=', factId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
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
