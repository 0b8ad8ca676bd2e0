import { sql, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { FactEventMeta } from '../facts/fact.js'
import type { Scope } from '../scope.js'
import {
  addSourcesInTx,
  insertFactsWithSources,
  supersedeInTx,
  updateFactInTx,
  type NewFactWithSources,
} from '../facts/fact-writes.js'
import { countDecisions, reconcileFacts } from '../facts/reconcile.js'
import { quietLogger } from '../logger.js'
import { insertExcerpts } from '../recall/excerpts-table.js'
import { lockItemIds } from '../session/messages-table.js'
import { advanceWatermark, readExtractionMark } from '../session/sessions-table.js'
import { judgeDraft, splitByPresentSources, type SessionMark } from './extraction-checks.js'
import { unknownSession, type DraftCandidate, type ExtractionDraft } from './extraction-draft.js'
import { loadNeighbourhood } from '../facts/fact-neighbourhood.js'
import type { BatchDecision, ExtractionContext, ExtractionCounts, ExtractionProcessorDeps } from './extraction-deps.js'

/** What a commit did: wrote the draft, or found it `covered` or `stale` and wrote nothing. */
export type CommitOutcome =
  | ({ status: 'committed'; reconciled: Reconciled } & SessionMark & WriteCounts)
  | ({ status: 'covered' | 'stale' } & SessionMark)

/** The candidates reconciled (those whose sources still exist) and the decisions written, for `onBatch`. */
interface Reconciled {
  candidates: DraftCandidate[]
  decisions: BatchDecision[]
}

type WriteCounts = ExtractionCounts

/**
 * Writes a draft, inside the caller's transaction, only if it still holds:
 *
 * 1. takes a transaction-scoped advisory lock on the draft's `(userId, namespace)` (the session
 *    id when it has no user), so reconciliation for one user is serialised across workers;
 * 2. re-reads the session row `FOR KEY SHARE` (it may not be deleted, and `popItem` waits, while
 *    `addItems` is not blocked) and judges the draft against it (`judgeDraft`);
 * 3. locks the batch's items that still exist (`FOR KEY SHARE`, so none disappears before the
 *    commit) and drops candidates citing the others;
 * 4. reconciles against the active facts read now, under the lock, and writes facts, sources
 *    and events;
 * 5. moves `extracted_through` to the newest item read, in the same commit as the facts.
 *
 * Everything here uses the transaction, never `db`: on PGlite there is one connection, and a
 * query on `db` would wait for the very transaction that waits for it.
 * @throws FactlineError `not_found` when the session was deleted.
 */
export async function commitExtraction(
  trx: Transaction<Database>,
  deps: ExtractionProcessorDeps,
  draft: ExtractionDraft,
  context: ExtractionContext,
): Promise<CommitOutcome> {
  const logger = deps.logger ?? quietLogger
  const { sessionId } = draft
  const session = { sessionId, userId: draft.userId }
  await advisoryLock(trx, draft.userId, draft.namespace, sessionId)
  const current: SessionMark | undefined = await readExtractionMark(trx, session, { keyShare: true })
  if (!current) throw unknownSession(sessionId)
  const verdict = judgeDraft(draft, current)
  if (verdict !== 'fresh') return { status: verdict, ...current }

  const counts: WriteCounts = { added: 0, updated: 0, superseded: 0, noop: 0, excerpts: 0, dropped: draft.dropped }
  const reconciled: Reconciled = { candidates: [], decisions: [] }
  if (draft.userId !== null && (draft.candidates.length > 0 || draft.excerpts.length > 0)) {
    const presentIds = new Set(await lockItemIds(trx, session, { after: draft.watermark, through: draft.through }))
    const { kept, dropped } = splitByPresentSources(draft.candidates, presentIds)
    for (const c of dropped) {
      logger.warn('dropped a candidate fact: it cites an item deleted during extraction', {
        jobId: context.jobId,
        sessionId,
        cited: c.sourceMessageIds,
      })
    }
    counts.dropped += dropped.length
    const scope: Scope = { userId: draft.userId, namespace: draft.namespace }
    if (kept.length > 0) {
      const { decisions, ...written } = await writeFacts(trx, deps, scope, sessionId, kept, context)
      Object.assign(counts, written)
      Object.assign(reconciled, { candidates: kept, decisions })
    }
    // Indexed in the watermark's commit, so each item is indexed exactly once, and only while it exists.
    const excerpts = draft.excerpts.filter((e) => presentIds.has(e.messageId))
    counts.excerpts = await insertExcerpts(trx, scope, sessionId, excerpts)
  }

  // Same commit as the facts, so a retried or duplicated job can never write them twice.
  await advanceWatermark(trx, session, draft.through)
  return { status: 'committed', ...current, watermark: draft.through, ...counts, reconciled }
}

/**
 * Applies the decisions. Adds do not depend on any other decision, so they are written first, all
 * at once (`insertFactsWithSources`: a fixed number of statements however many facts); the other
 * decisions then run in order, per fact, since each may name a fact written before it (`new:<i>`).
 */
async function writeFacts(
  trx: Transaction<Database>,
  deps: ExtractionProcessorDeps,
  scope: Scope,
  sessionId: string,
  candidates: readonly DraftCandidate[],
  context: ExtractionContext,
): Promise<Omit<WriteCounts, 'dropped' | 'excerpts'> & { decisions: BatchDecision[] }> {
  const neighbourhood = await loadNeighbourhood(trx, scope, candidates, deps.neighboursPerCandidate ?? 5)
  const decisions = reconcileFacts(neighbourhood, candidates, deps.reconcile)
  const meta: FactEventMeta = {
    jobId: context.jobId,
    extractor: deps.extractor.id,
    model: deps.extractor.model ?? undefined,
  }
  const fresh = (index: number): NewFactWithSources => {
    const candidate = candidates[index]!
    return {
      content: candidate.content,
      kind: candidate.kind,
      key: candidate.key,
      confidence: candidate.confidence,
      embedding: candidate.embedding,
      validFrom: candidate.validFrom,
      sources: candidate.sourceMessageIds.map((messageId) => ({ sessionId, messageId })),
    }
  }
  const adds = decisions.filter((d) => d.action === 'add')
  const added = await insertFactsWithSources(
    trx,
    scope,
    adds.map((d) => ({ ...fresh(d.candidate), reason: d.reason })),
    meta,
  )
  const written = new Map<string, string>(adds.map((d, i) => [d.ref, added[i]!.id]))
  const resolve = (ref: string) => written.get(ref) ?? ref
  const report: BatchDecision[] = []
  for (const d of decisions) {
    const candidate = candidates[d.candidate]!
    switch (d.action) {
      case 'add':
        break
      case 'supersede': {
        const { current } = await supersedeInTx(trx, scope, resolve(d.target), fresh(d.candidate), { meta, reason: d.reason })
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
            ...(d.content !== null ? { content: d.content, embedding: candidate.embedding } : {}),
            key: d.key,
            kind: d.kind,
            confidence: d.confidence,
          },
          { meta, reason: d.reason },
        )
        await addSourcesInTx(trx, scope, id, fresh(d.candidate).sources, { meta, reason: d.reason })
        break
      }
      case 'noop':
        await addSourcesInTx(trx, scope, resolve(d.target), fresh(d.candidate).sources, { meta, reason: d.reason })
        break
    }
    const factId = d.action === 'add' || d.action === 'supersede' ? written.get(d.ref)! : resolve(d.target)
    report.push({ action: d.action, candidate: d.candidate, factId, ...(d.action !== 'add' ? { target: resolve(d.target) } : {}), reason: d.reason })
  }
  const counts = countDecisions(decisions)
  return { added: counts.add, updated: counts.update, superseded: counts.supersede, noop: counts.noop, decisions: report }
}

/**
 * Serialises extraction per `(userId, namespace)` until the transaction ends (commit, rollback,
 * or a dropped connection when a worker dies), across every worker process.
 *
 * The same statement turns off `synchronous_commit` for this transaction only (`set_config(…,
 * true)` is `SET LOCAL`), so the commit does not wait for its WAL flush. That is safe because
 * the watermark commits together with the facts: a crash that loses the commit loses both, the
 * session's watermark still lags its items, and the lag sweep (or a BullMQ retry) extracts them
 * again. Nothing durable can depend on a lost commit either: a later synchronous commit flushes
 * the WAL up to its own record, which lies after this one's.
 */
async function advisoryLock(trx: Transaction<Database>, userId: string | null, namespace: string, sessionId: string) {
  const key = JSON.stringify(userId === null ? ['factline-session', sessionId] : ['factline-user', userId, namespace])
  await sql`select set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx)
}
