export {
  createMemory,
  FactlineOptionsSchema,
  type FactlineOptions,
  type FactlineConfig,
  type Memory,
  type MemoryScope,
  type MemoryRunOptions,
} from './memory.js'
export { configFromEnv, type EnvConfig } from './config/env.js'
export { FactlineError, isFactlineError, type FactlineErrorCode, type FactlineErrorOptions } from './errors.js'
export { quietLogger, createJsonLogger, type Logger } from './logger.js'
export {
  createDb,
  DEFAULT_DATA_DIR,
  type DatabaseOptions,
  type FactlineDb,
} from './db/create-db.js'
export {
  migrate,
  assertMigrated,
  readEmbeddingDimensions,
  DEFAULT_EMBEDDING_DIMENSIONS,
  type MigrateOptions,
  type MigrateResult,
} from './db/migrate.js'
export type { Database, FactStatus, FactEventType } from './db/schema.js'
export type { TableNameOptions, TableNames } from './db/table-names.js'
export {
  PostgresSession,
  DEFAULT_NAMESPACE,
  type PostgresSessionOptions,
  type ItemsAddedEvent,
} from './session/postgres-session.js'
export { DEFAULT_MAX_ITEM_BYTES } from './session/item-codec.js'
export { itemText, type ItemText } from './session/item-text.js'
export {
  historyWindow,
  trimHistory,
  estimateTokensByLength,
  type HistoryBudget,
  type HistoryWindowOptions,
} from './session/history-window.js'
export {
  buildContextBlock,
  withContextBlock,
  estimateTokens,
  type ContextBlockOptions,
  type ContextFact,
} from './context/context-block.js'
export { prepareMemoryContext, type MemoryContext, type PrepareMemoryContextInput } from './context/memory-context.js'
export { HashEmbedder, DEFAULT_HASH_DIMENSIONS, type HashEmbedderOptions } from './embed/hash-embedder.js'
export { OpenAIEmbedder, createOpenAIEmbedder, type OpenAIEmbedderOptions } from './embed/openai-embedder.js'
export type { Embedder } from './embed/embedder.js'
export type {
  Extractor,
  ExtractionInput,
  ExtractionItem,
  ExistingFact,
  CandidateFact,
  CandidateFactInput,
} from './extractors/extractor.js'
export { RuleExtractor, type RuleExtractorOptions } from './extractors/rules/rule-extractor.js'
export { OpenAIExtractor, createOpenAIExtractor, type OpenAIExtractorOptions } from './extractors/openai/openai-extractor.js'
export { createFactStore, type FactStore, type AddFactInput, type UpdateFactInput, type ListFactsInput } from './facts/fact-store.js'
export type { Fact, FactScope, FactSourceRef, FactEventMeta } from './facts/fact.js'
export { explainFact, type FactExplanation, type ExplainedSource, type ExplainedEvent } from './facts/explain.js'
export { forgetUser, type ForgetUserResult } from './facts/forget-user.js'
export { recallFacts, type RecallOptions, type RecalledFact } from './recall/recall.js'
export { createExtractionQueue, type ExtractionQueue, type ExtractionQueueOptions } from './queue/extraction-queue.js'
export { createExtractionWorker, type ExtractionWorker, type ExtractionWorkerOptions } from './queue/extraction-worker.js'
export { createInlineExtraction, type InlineExtraction } from './extraction/inline-scheduler.js'
export { processSessionExtraction, type ExtractionResult } from './extraction/extraction-processor.js'
export { sweep, type SweepResult } from './extraction/sweep.js'
