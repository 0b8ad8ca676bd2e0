import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { parseVectorLiteral, vectorText } from '../db/vector.js'
import type { Embedder } from '../embed/embedder.js'
import { FactlineError } from '../errors.js'
import {
  CandidateFactSchema,
  type CandidateFact,
  type ExistingFact,
  type ExtractionItem,
  type Extractor,
} from '../extract/extractor.js'
import type { FactEventMeta, FactScope, FactSourceRef } from '../facts/fact.js'
import { isUuid } from '../facts/fact-repository.js'
import { addSourcesInTx, insertFactWithSources, supersedeInTx, updateFactInTx } from '../facts/fact-writes.js'
import {
  countDecisions,
  reconcileFacts,
  type ReconcileCandidate,
  type ReconcileFact,
  type ReconcileOptions,
} from '../facts/reconcile.js'
import { scopedFacts } from '../facts/scoped-facts.js'
import { quietLogger, type Logger } from '../logger.js'
import { nearestScopedFacts } from '../recall/nearest-facts.js'
import { decodeItem } from '../session/item-codec.js'
import { itemText } from '../session/item-text.js'

/** What the processor needs; the same deps serve the BullMQ worker and inline mode. */
export interface ExtractionProcessorDeps {
  db: Kysely<Database>
  extractor: Extractor
  embedder: Embedder
  logger?: Logger | undefined
  /** Thresholds for `reconcileFacts`. */
  reconcile?: ReconcileOptions | undefined
  /** Transcript items handled per transaction; a longer backlog takes several. @defaultValue 100 */
  maxItemsPerBatch?: number | undefined
  /** How many of the user's active facts the extractor is shown. @defaultValue 30 */
  existingFactsLimit?: number | undefined
  /** How many nearest active facts each candidate is compared with (besides same-key facts). @defaultValue 5 */
  neighboursPerCandidate?: number | undefined
}

/** What one extraction did, for logs and tests. */
export interface ExtractionResult {
  sessionId: string
  userId: string | null
  namespace: string | null
  /** Transcript items read (all roles). */
  items: number
  /** Transactions committed. */
  batches: number
  /** The session's watermark afterwards. */
  extractedThrough: number
  added: number
  updated: number
  superseded: number
  noop: number
  /** Candidates dropped because none of their citations named an item of the batch. */
  dropped: number
  durationMs: number
}

/** Context a caller adds: the job id for fact events, and a signal to stop between batches. */
export interface ExtractionContext {
  jobId?: string | undefined
  signal?: AbortSignal | undefined
}

const DEFAULT_BATCH = 100
const MAX_CONTEXT_CHARS = 8_000

/**
 * Extracts facts from every item of a session past its watermark and moves the watermark, with
 * exactly-once effects: each batch is one transaction that
 *
 * 1. takes a transaction-scoped advisory lock on `(userId, namespace)` (the session id when the
 *    session has no user), so reconciliation for one user is serialised across workers and a
 *    second delivery of the same job waits, then finds nothing past the watermark;
 * 2. reads the session row (`FOR KEY SHARE`: it may not be deleted meanwhile, yet `addItems`,
 *    which updates the row, is not blocked) and the items after `extracted_through`;
 * 3. asks the extractor, drops citations of items outside the batch, embeds, reconciles against
 *    the user's active facts, writes facts, sources and events;
 * 4. advances `extracted_through` to the newest item read, then commits.
 *
 * The user and namespace come from the session row only; nothing the extractor returns can
 * change them. A session without a user yields no facts; its watermark still advances.
 *
 * Everything inside the transaction uses the transaction, never `db`: on PGlite there is one
 * connection, and a query on `db` would wait for the very transaction that waits for it.
 *
 * @throws FactlineError `not_found` when the session does not exist (a permanent failure);
 * other errors (database, extractor, embedder) are transient and leave the watermark untouched.
 */
export async function processSessionExtraction(
  deps: ExtractionProcessorDeps,
  sessionId: string,
  context: ExtractionContext = {},
): Promise<ExtractionResult> {
  const started = performance.now()
  const logger = deps.logger ?? quietLogger
  const total: ExtractionResult = {
    sessionId,
    userId: null,
    namespace: null,
    items: 0,
    batches: 0,
    extractedThrough: 0,
    added: 0,
    updated: 0,
    superseded: 0,
    noop: 0,
    dropped: 0,
    durationMs: 0,
  }
  for (;;) {
    context.signal?.throwIfAborted()
    const batch = await deps.db.transaction().execute((trx) => processBatch(trx, deps, sessionId, context))
    total.userId = batch.userId
    total.namespace = batch.namespace
    total.extractedThrough = batch.extractedThrough
    if (batch.items === 0) break
    total.items += batch.items
    total.batches++
    total.added += batch.added
    total.updated += batch.updated
    total.superseded += batch.superseded
    total.noop += batch.noop
    total.dropped += batch.dropped
    if (!batch.more) break
  }
  total.durationMs = Math.round(performance.now() - started)
  logger.info('extraction done', { jobId: context.jobId, ...total })
  return total
}

type BatchResult = Omit<ExtractionResult, 'durationMs' | 'batches' | 'sessionId'> & { more: boolean }

async function processBatch(
  trx: Transaction<Database>,
  deps: ExtractionProcessorDeps,
  sessionId: string,
  context: ExtractionContext,
): Promise<BatchResult> {
  const limit = deps.maxItemsPerBatch ?? DEFAULT_BATCH
  const first = await readSession(trx, sessionId, false)
  if (!first) throw unknownSession(sessionId)
  await advisoryLock(trx, first.user_id, first.namespace, sessionId)
  const session = await readSession(trx, sessionId, true)
  if (!session) throw unknownSession(sessionId)
  // addItems may have given a user-less session its user since the first read: lock that scope too.
  if (session.user_id !== first.user_id) await advisoryLock(trx, session.user_id, session.namespace, sessionId)

  const watermark = Number(session.extracted_through)
  const rows = await trx
    .selectFrom('agent_messages')
    .select(['id', sql<string>`message_data::text`.as('data')])
    .where('session_id', '=', sessionId)
    .where(sql.ref<number>('agent_messages.id'), '>', watermark)
    .orderBy('id')
    .limit(limit + 1)
    .execute()
  const more = rows.length > limit
  const batchRows = rows.slice(0, limit)
  const result: BatchResult = {
    userId: session.user_id,
    namespace: session.namespace,
    items: batchRows.length,
    extractedThrough: watermark,
    added: 0,
    updated: 0,
    superseded: 0,
    noop: 0,
    dropped: 0,
    more,
  }
  if (batchRows.length === 0) return result
  const through = Number(batchRows[batchRows.length - 1]!.id)

  if (session.user_id !== null) {
    const scope: FactScope = { userId: session.user_id, namespace: session.namespace }
    const items: ExtractionItem[] = batchRows
      .map((r) => ({ messageId: Number(r.id), sessionId, ...itemText(decodeItem(r.data)) }))
      .filter((i) => i.text.trim().length > 0)
    if (items.length > 0) {
      const counts = await extractAndWrite(trx, deps, scope, items, context)
      Object.assign(result, counts)
    }
  }

  await trx
    .updateTable('agent_sessions')
    .set({ extracted_through: through })
    .where('session_id', '=', sessionId)
    .execute()
  result.extractedThrough = through
  return result
}

async function extractAndWrite(
  trx: Transaction<Database>,
  deps: ExtractionProcessorDeps,
  scope: FactScope,
  items: ExtractionItem[],
  context: ExtractionContext,
) {
  const { extractor, embedder } = deps
  const signal = context.signal
  const logger = deps.logger ?? quietLogger
  const existingFacts = await relevantFacts(trx, deps, scope, items, signal)
  const raw = await extractor.extract({ userId: scope.userId, namespace: scope.namespace, items, existingFacts }, signal)

  const batchIds = new Set(items.map((i) => i.messageId))
  const candidates: CandidateFact[] = []
  let dropped = 0
  for (const entry of raw) {
    // Extractors validate their own output; this re-check keeps a faulty one from writing junk.
    const parsed = CandidateFactSchema.safeParse(entry)
    const cited = parsed.success ? [...new Set(parsed.data.sourceMessageIds.filter((id) => batchIds.has(id)))] : []
    if (!parsed.success || cited.length === 0) {
      dropped++
      logger.warn('dropped a candidate fact: invalid, or citing no item of the batch', {
        jobId: context.jobId,
        sessionId: items[0]?.sessionId,
        cited: parsed.success ? parsed.data.sourceMessageIds : undefined,
      })
      continue
    }
    candidates.push({ ...parsed.data, sourceMessageIds: cited })
  }
  if (candidates.length === 0) return { added: 0, updated: 0, superseded: 0, noop: 0, dropped }

  const vectors = await embedder.embed(candidates.map((c) => c.content), signal)
  const withEmbeddings: ReconcileCandidate[] = candidates.map((c, i) => ({
    content: c.content,
    kind: c.kind,
    key: c.key,
    confidence: c.confidence,
    replacesFactId: c.replacesFactId,
    embedding: vectors[i] ?? [],
  }))
  const neighbourhood = await loadNeighbourhood(trx, deps, scope, withEmbeddings)
  const decisions = reconcileFacts(neighbourhood, withEmbeddings, deps.reconcile)

  const meta: FactEventMeta = {
    jobId: context.jobId,
    extractor: extractor.id,
    model: extractor.model ?? undefined,
  }
  const sessionId = items[0]!.sessionId
  const written = new Map<string, string>()
  const resolve = (ref: string) => written.get(ref) ?? ref
  for (const d of decisions) {
    const candidate = candidates[d.candidate]!
    const embedding = withEmbeddings[d.candidate]!.embedding
    const sources: FactSourceRef[] = candidate.sourceMessageIds.map((messageId) => ({ sessionId, messageId }))
    const fresh = {
      content: candidate.content,
      kind: candidate.kind,
      key: candidate.key,
      confidence: candidate.confidence,
      embedding,
      sources,
    }
    switch (d.action) {
      case 'add': {
        const fact = await insertFactWithSources(trx, scope, fresh, { meta, reason: d.reason })
        written.set(d.ref, fact.id)
        break
      }
      case 'supersede': {
        const { current } = await supersedeInTx(trx, scope, resolve(d.target), fresh, { meta, reason: d.reason })
        written.set(d.ref, current.id)
        break
      }
      case 'update': {
        const id = resolve(d.target)
        await updateFactInTx(
          trx,
          scope,
          id,
          {
            ...(d.content !== null ? { content: d.content, embedding } : {}),
            key: d.key,
            kind: d.kind,
            confidence: d.confidence,
          },
          { meta, reason: d.reason },
        )
        await addSourcesInTx(trx, scope, id, sources, { meta, reason: d.reason })
        break
      }
      case 'noop':
        await addSourcesInTx(trx, scope, resolve(d.target), sources, { meta, reason: d.reason })
        break
    }
  }
  const counts = countDecisions(decisions)
  return { added: counts.add, updated: counts.update, superseded: counts.supersede, noop: counts.noop, dropped }
}

/**
 * The facts shown to the extractor: every active keyed fact (slots it may correct, newest first)
 * plus the facts nearest to what the batch says, up to `existingFactsLimit`.
 */
async function relevantFacts(
  trx: Transaction<Database>,
  deps: ExtractionProcessorDeps,
  scope: FactScope,
  items: ExtractionItem[],
  signal: AbortSignal | undefined,
): Promise<ExistingFact[]> {
  const limit = deps.existingFactsLimit ?? 30
  const text = items
    .map((i) => i.text)
    .join('\n')
    .slice(0, MAX_CONTEXT_CHARS)
  const [query] = await deps.embedder.embed([text], signal)
  const near = query ? await nearestScopedFacts(trx, scope, query, limit, { statuses: ['active'] }) : []
  const keyed = await scopedFacts(trx, scope)
    .select('facts.id')
    .where('facts.status', '=', 'active')
    .where('facts.key', 'is not', null)
    .orderBy('facts.updated_at', 'desc')
    .limit(limit)
    .execute()
  const ids = [...new Set([...keyed.map((r) => r.id), ...near.map((r) => r.id)])].slice(0, limit)
  if (ids.length === 0) return []
  const rows = await scopedFacts(trx, scope)
    .select(['facts.id', 'facts.content', 'facts.kind', 'facts.key'])
    .where('facts.id', 'in', ids)
    .execute()
  const order = new Map(ids.map((id, i) => [id, i]))
  return rows
    .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
    .map((r) => ({ id: r.id, content: r.content, kind: r.kind, key: r.key }))
}

/**
 * The active facts reconciliation compares candidates with: same-key facts, the facts named by
 * `replacesFactId` (only if they are in this scope: the query is scoped), and each candidate's
 * nearest neighbours. Read under the advisory lock, so no other worker changes them meanwhile.
 */
async function loadNeighbourhood(
  trx: Transaction<Database>,
  deps: ExtractionProcessorDeps,
  scope: FactScope,
  candidates: readonly ReconcileCandidate[],
): Promise<ReconcileFact[]> {
  const k = deps.neighboursPerCandidate ?? 5
  const ids = new Set<string>()
  for (const c of candidates) {
    if (c.replacesFactId !== null && isUuid(c.replacesFactId)) ids.add(c.replacesFactId)
    for (const near of await nearestScopedFacts(trx, scope, c.embedding, k, { statuses: ['active'] })) ids.add(near.id)
  }
  const keys = [...new Set(candidates.map((c) => c.key).filter((key): key is string => key !== null))]
  let q = scopedFacts(trx, scope)
    .select(['facts.id', 'facts.content', 'facts.kind', 'facts.key', 'facts.confidence', vectorText('facts.embedding').as('embedding')])
    .where('facts.status', '=', 'active')
  q = q.where((eb) => {
    const ors = []
    if (ids.size > 0) ors.push(eb('facts.id', 'in', [...ids]))
    if (keys.length > 0) ors.push(eb('facts.key', 'in', keys))
    return ors.length > 0 ? eb.or(ors) : eb.val(false)
  })
  const rows = await q.orderBy('facts.created_at').orderBy('facts.id').execute()
  return rows.map((r) => ({
    id: r.id,
    content: r.content,
    kind: r.kind,
    key: r.key,
    confidence: Number(r.confidence),
    embedding: r.embedding === null ? null : parseVectorLiteral(r.embedding),
  }))
}

function readSession(trx: Transaction<Database>, sessionId: string, lock: boolean) {
  const q = trx
    .selectFrom('agent_sessions')
    .select(['session_id', 'user_id', 'namespace', 'extracted_through'])
    .where('session_id', '=', sessionId)
  return (lock ? q.forKeyShare() : q).executeTakeFirst()
}

/**
 * Serialises extraction per `(userId, namespace)` until the transaction ends (commit, rollback,
 * or a dropped connection when a worker dies), across every worker process.
 */
async function advisoryLock(trx: Transaction<Database>, userId: string | null, namespace: string, sessionId: string) {
  const key = JSON.stringify(userId === null ? ['factline-session', sessionId] : ['factline-user', userId, namespace])
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx)
}

function unknownSession(sessionId: string): FactlineError {
  return new FactlineError('not_found', `session ${JSON.stringify(sessionId)} does not exist; nothing to extract`, {
    details: { sessionId },
  })
}
