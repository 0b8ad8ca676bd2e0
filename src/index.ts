export { createMemory, type Memory, type MemoryRunOptions } from './memory.js'
export type { InspectorOptions } from './inspect/inspector-app.js'
export { DEFAULT_NAMESPACE, type Scope, type ScopeInput } from './scope.js'
export type { FactlineOptions } from './config/factline-options.js'
export { FactlineError, isFactlineError, type FactlineErrorCode, type FactlineErrorOptions } from './errors.js'
export { quietLogger, createJsonLogger, pinoLogger, type Logger, type PinoLikeLogger } from './logger.js'
export { createDb, DEFAULT_DATA_DIR, type DatabaseOptions, type FactlineDb } from './db/create-db.js'
export { migrate, assertMigrated, type MigrateOptions, type MigrateResult } from './db/migrate.js'
export { distributeTables, type DistributeResult } from './db/distribute.js'
export { DEFAULT_EMBEDDING_DIMENSIONS } from './db/embedding-dimensions.js'
export type { Database, FactStatus, FactEventType } from './db/schema.js'
export type { TableNameOptions, TableNames } from './db/table-names.js'
export {
  PostgresSession,
  type PostgresSessionOptions,
  type ItemsAddedEvent,
} from './session/postgres-session.js'
export { DEFAULT_MAX_ITEM_BYTES } from './session/item-codec.js'
export type { AddItemsOptions } from './session/write-outcome.js'
export {
  historyWindow,
  trimHistory,
  estimateTokensByLength,
  type HistoryBudget,
  type HistoryWindowOptions,
} from './session/history-window.js'
export {
  buildContextBlock,
  sanitizeForBlock,
  type ContextBlockOptions,
  type ContextFact,
  type ContextExcerpt,
  type ContextMemory,
} from './context/context-block.js'
export { estimateTokens, type TokenEstimator } from './estimate-tokens.js'
export type { MemoryContext } from './context/memory-context.js'
export type { RecallTraceOptions } from './context/recall-span.js'
export type { TracingOptions } from './trace-options.js'
export type { MemoryToolsOptions } from './tools/memory-tools.js'
export { HashEmbedder, DEFAULT_HASH_DIMENSIONS, type HashEmbedderOptions } from './embed/hash-embedder.js'
export { OpenAIEmbedder, type OpenAIEmbedderOptions } from './embed/openai-embedder.js'
export type { Embedder } from './embed/embedder.js'
export type {
  Extractor,
  ExtractionInput,
  ExtractionItem,
  ExistingFact,
  CandidateFact,
  CandidateFactInput,
} from './extractors/extractor.js'
export { NlpExtractor, type NlpExtractorOptions } from './extractors/nlp/nlp-extractor.js'
export { OpenAIExtractor, type OpenAIExtractorOptions } from './extractors/openai/openai-extractor.js'
export type { FactStore } from './facts/fact-store.js'
export type { AddFactInput, UpdateFactInput, ListFactsInput, ForgetInput } from './facts/fact-input.js'
export type { Fact, FactSourceRef, FactEventMeta } from './facts/fact.js'
export type { FactExplanation, ExplainedSource, ExplainedEvent, ExplainOptions } from './facts/explain.js'
export type { ForgetUserResult } from './facts/forget-user.js'
export type { RecallOptions, RecalledFact } from './recall/recall.js'
export type { SearchOptions, SearchHit, SearchHitType, SearchSource } from './recall/search.js'
export type { ExcerptIndexOptions } from './recall/excerpt-chunks.js'
export type { ImportTranscriptInput, ImportTranscriptResult } from './extraction/import-transcript.js'
export type { ExtractionWorker } from './queue/extraction-worker.js'
export type { ExtractionJobCounts } from './queue/extraction-queue.js'
export type { SweepResult } from './extraction/sweep.js'
export type { ReindexOptions, ReindexResult } from './extraction/reindex.js'
