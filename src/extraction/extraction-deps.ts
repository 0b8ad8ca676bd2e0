import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Embedder } from '../embed/embedder.js'
import type { Extractor } from '../extractors/extractor.js'
import type { ReconcileOptions } from '../facts/reconcile.js'
import type { Logger } from '../logger.js'

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

/** Context a caller adds: the job id for fact events, and a signal to stop between batches. */
export interface ExtractionContext {
  jobId?: string | undefined
  signal?: AbortSignal | undefined
}
