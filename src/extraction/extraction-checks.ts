import { CandidateFactSchema, type CandidateFact } from '../extractors/extractor.js'

/** The extractor's output cut down to what may be written. */
export interface BatchCitations {
  candidates: CandidateFact[]
  /** Entries refused: invalid, or citing no item of the batch. `cited` is what they claimed. */
  rejected: Array<{ cited: number[] | undefined }>
}

/**
 * Validates the extractor's output and keeps, of each candidate's citations, only the items of
 * the batch (deduplicated); a candidate left with none is refused. Model output therefore never
 * cites another session's or another user's items.
 */
export function keepBatchCitations(raw: readonly unknown[], batchIds: ReadonlySet<number>): BatchCitations {
  const out: BatchCitations = { candidates: [], rejected: [] }
  for (const entry of raw) {
    // Extractors validate their own output; this re-check keeps a faulty one from writing junk.
    const parsed = CandidateFactSchema.safeParse(entry)
    const cited = parsed.success ? [...new Set(parsed.data.sourceMessageIds.filter((id) => batchIds.has(id)))] : []
    if (!parsed.success || cited.length === 0) {
      out.rejected.push({ cited: parsed.success ? parsed.data.sourceMessageIds : undefined })
      continue
    }
    out.candidates.push({ ...parsed.data, sourceMessageIds: cited })
  }
  return out
}

/** A session's owner and watermark, as one read of its row saw them. */
export interface SessionMark {
  userId: string | null
  namespace: string
  watermark: number
}

/**
 * What to do with a batch drafted outside the transaction, once the session row is locked:
 * - `fresh`: owner and watermark are as the draft saw them; commit it.
 * - `covered`: another run already moved the watermark past every item of the draft; commit
 *   nothing, its facts are written.
 * - `stale`: the watermark moved only part of the way (or backwards), or the session gained a
 *   user since: committing would write some items' facts twice or under the wrong scope, so the
 *   draft is redone from the current state.
 */
export type DraftVerdict = 'fresh' | 'covered' | 'stale'

export function judgeDraft(drafted: SessionMark & { through: number }, current: SessionMark): DraftVerdict {
  const sameOwner = drafted.userId === current.userId && drafted.namespace === current.namespace
  if (sameOwner && current.watermark === drafted.watermark) return 'fresh'
  if (current.watermark >= drafted.through && current.watermark > drafted.watermark) return 'covered'
  return 'stale'
}

/**
 * Splits candidates by whether every item they cite still exists. One citing an item removed
 * during the model call (`popItem`, a compaction) is dropped whole, even if it cites other items
 * too: the user took that item back, and the fact may rest on it.
 */
export function splitByPresentSources<T extends { sourceMessageIds: readonly number[] }>(
  candidates: readonly T[],
  present: ReadonlySet<number>,
): { kept: T[]; dropped: T[] } {
  const kept: T[] = []
  const dropped: T[] = []
  for (const c of candidates) (c.sourceMessageIds.every((id) => present.has(id)) ? kept : dropped).push(c)
  return { kept, dropped }
}

/** How long one extractor call may take by default: a hung model call must not hold a job forever. */
export const DEFAULT_EXTRACT_TIMEOUT_MS = 5 * 60_000

/**
 * `signal` combined with a deadline `ms` from now; the extractor call is aborted with a
 * `TimeoutError` when it passes, which fails the batch as a transient error (the job is retried).
 */
export function withTimeBudget(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
}
