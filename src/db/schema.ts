import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

/**
 * Table types for every factline table, under their logical names. Physical names can be
 * overridden (see `TableNames`); a kysely plugin maps logical to physical in every query.
 */
export interface Database {
  agent_sessions: AgentSessionTable
  agent_messages: AgentMessageTable
  facts: FactTable
  fact_sources: FactSourceTable
  fact_events: FactEventTable
  factline_meta: MetaTable
  agent_session_operations: AgentSessionOperationTable
  transcript_excerpts: TranscriptExcerptTable
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
/** int8: `Int8ColumnsPlugin` makes every read a number, whichever driver returned it. */
type BigIntId = ColumnType<number, number | string, number | string>
type GeneratedBigIntId = ColumnType<number, number | string | undefined, number | string>
type Defaulted<T> = ColumnType<T, T | undefined, T>

export interface AgentSessionTable {
  session_id: string
  /** The tenant: the user, or the reserved value of a session without one (see `src/tenant.ts`). */
  user_id: string
  namespace: string
  created_at: Timestamp
  updated_at: Timestamp
  /** Id of the newest message the fact extractor has processed (0 = none). */
  extracted_through: ColumnType<number, number | string | undefined, number | string>
}

export interface AgentMessageTable {
  id: GeneratedBigIntId
  /** The session's tenant (see `src/tenant.ts`). */
  user_id: string
  session_id: string
  /** The item exactly as given, as JSON text in a `json` column (keeps key order and `\u0000`). */
  message_data: string
  created_at: Timestamp
}

export type FactStatus = 'active' | 'superseded' | 'retracted' | 'forgotten'

export interface FactTable {
  id: Generated<string>
  user_id: string
  namespace: string
  content: string
  kind: Defaulted<string | null>
  key: Defaulted<string | null>
  /** pgvector text form (`[0.1,0.2,…]`) on the way in; read through `db/vector.ts`. */
  embedding: string | null
  /** Generated column; never written. */
  search: ColumnType<string, never, never>
  status: Defaulted<FactStatus>
  valid_from: Timestamp
  valid_to: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  superseded_by: Defaulted<string | null>
  confidence: Defaulted<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface FactSourceTable {
  user_id: string
  fact_id: string
  message_id: BigIntId
  session_id: string
  created_at: Timestamp
}

export type FactEventType =
  | 'added'
  | 'updated'
  | 'superseded'
  | 'retracted'
  | 'forgotten'
  | 'source_added'
  | 'source_removed'

export interface FactEventTable {
  id: GeneratedBigIntId
  fact_id: string
  user_id: string
  namespace: string
  event_type: FactEventType
  before: ColumnType<unknown, string | null | undefined, string | null>
  after: ColumnType<unknown, string | null | undefined, string | null>
  reason: string | null
  job_id: string | null
  extractor: string | null
  model: string | null
  created_at: Timestamp
}

/** One applied `applyHistoryTransaction` per row, so a retried operation is recognised and not applied twice. */
export interface AgentSessionOperationTable {
  /** The session's tenant (see `src/tenant.ts`). */
  user_id: string
  session_id: string
  operation_id: string
  /** The transaction as canonical JSON (keys sorted), to tell a retry from a reuse with other content. */
  transaction_json: string
  created_at: Timestamp
}

/** One chunk of an indexed transcript message: the episodic layer recall searches beside facts. */
export interface TranscriptExcerptTable {
  id: GeneratedBigIntId
  user_id: string
  namespace: string
  session_id: string
  message_id: BigIntId
  /** Position of the chunk in its message, from 0. */
  chunk: number
  text: string
  /** pgvector text form on the way in, as `facts.embedding`. */
  embedding: string | null
  /** Generated column; never written. */
  search: ColumnType<string, never, never>
  /** `binary_quantize(embedding)`: generated, never written; ranks candidates by Hamming distance. */
  embedding_bits: ColumnType<string | null, never, never>
  /** The message's time (`agent_messages.created_at`). */
  at: Timestamp
}

export interface MetaTable {
  key: string
  value: string
}

export type AgentSessionRow = Selectable<AgentSessionTable>
export type AgentMessageRow = Selectable<AgentMessageTable>
export type FactRow = Selectable<FactTable>
export type NewFactRow = Insertable<FactTable>
export type FactSourceRow = Selectable<FactSourceTable>
export type FactEventRow = Selectable<FactEventTable>
export type NewFactEventRow = Insertable<FactEventTable>
