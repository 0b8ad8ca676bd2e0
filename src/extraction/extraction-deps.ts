import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Embedder } from '../embed/embedder.js'
import type { Extractor } from '../extractors/extractor.js'
import type { ReconcileOptions } from '../facts/reconcile.js'
import type { Logger } from '../logger.js'
import type { ExcerptIndexConfig } from '../recall/excerpt-chunks.js'

/** What the processor needs; the same deps serve the BullMQ worker and inline mode. */
export interface ExtractionProcessorDeps {
  db: Kysely<Database>
  /** Scope reads and commits to `ExtractionContext.userId` (see `database.rowLevelSecurity`). */
  rowLevelSecurity?: boolean | undefined
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
  /** Time budget of one extractor call; past it the call is aborted and the batch retried later. @defaultValue 300000 ms */
  extractTimeoutMs?: number | undefined
  /** How the batch's messages are indexed as transcript excerpts. @defaultValue user messages, 600-char chunks */
  excerpts?: ExcerptIndexConfig | undefined
  /** Told about each committed batch, e.g. to trace it; an error it throws is logged, never fails the batch. */
  onBatch?: ((batch: ExtractionBatch) => void) | undefined
}

/** One committed batch: what the extractor proposed, what reconciliation decided, how the watermark moved. */
export interface ExtractionBatch {
  sessionId: string
  jobId?: string | undefined
  userId: string | null
  namespace: string
  watermark: { from: number; to: number }
  candidates: ReadonlyArray<{ content: string; kind: string | null; key: string | null; sourceMessageIds: readonly number[] }>
  /** One per kept candidate (by index into `candidates`), with the fact it wrote or touched. */
  decisions: readonly BatchDecision[]
  counts: ExtractionCounts
}

/** A reconciliation decision as written: `factId` is the fact added, changed, superseding, or confirmed. */
export interface BatchDecision {
  action: 'add' | 'update' | 'supersede' | 'noop'
  candidate: number
  factId: string
  /** The fact replaced (supersede) or the existing fact updated or confirmed. */
  target?: string
  reason: string
}

/** Context a caller adds: the job id for fact events, and a signal to stop between batches. */
export interface ExtractionContext {
  jobId?: string | undefined
  /**
   * The session's user, when the caller knows it (inline mode does; a queued job carries it
   * sealed): every read and write names it, so Citus routes each to one shard, and with row-level
   * security the run is scoped to them. Without it (a job queued before jobs carried it) the
   * processor first looks the session up by id, a statement that reads every shard on Citus.
   */
  userId?: string | undefined
  signal?: AbortSignal | undefined
}

/** What a committed batch (and a whole run) did to the user's memory. */
export interface ExtractionCounts {
  added: number
  updated: number
  superseded: number
  noop: number
  /** Transcript excerpts indexed (chunks of the batch's messages). */
  excerpts: number
  /**
   * Candidates dropped: invalid, none of their citations naming an item of the batch, or citing
   * an item deleted (`popItem`, compaction) while the model ran.
   */
  dropped: number
}
