import type { z } from 'zod'
import type { FactRow, FactStatus } from '../db/schema.js'
import type { EventMetaSchema, SourceSchema } from './fact-input.js'

export type { FactStatus } from '../db/schema.js'

/** A durable statement about a user, with its validity interval and lifecycle status. */
export interface Fact {
  id: string
  userId: string
  namespace: string
  /** The statement itself; empty once the fact is forgotten. */
  content: string
  /** Optional category, e.g. `preference`, `profile`, `plan`. */
  kind: string | null
  /** Optional normalised slot, e.g. `deploy_target`, used to detect contradictions. */
  key: string | null
  status: FactStatus
  validFrom: Date
  /** When the fact stopped holding (superseded, retracted, forgotten); `null` while active. */
  validTo: Date | null
  /** The fact that replaced this one, when superseded. */
  supersededBy: string | null
  /** 0–1, how sure the writer was. */
  confidence: number
  createdAt: Date
  updatedAt: Date
}

/** A transcript item a fact was drawn from. */
export type FactSourceRef = z.output<typeof SourceSchema>

/** Who made a change: stored on the `fact_events` row it appends. */
export type FactEventMeta = NonNullable<z.output<typeof EventMetaSchema>>

/** Maps a `facts` row (snake_case) to the domain object (camelCase). */
export function rowToFact(row: Omit<FactRow, 'embedding' | 'search'>): Fact {
  return {
    id: row.id,
    userId: row.user_id,
    namespace: row.namespace,
    content: row.content,
    kind: row.kind,
    key: row.key,
    status: row.status,
    validFrom: toDate(row.valid_from),
    validTo: row.valid_to === null ? null : toDate(row.valid_to),
    supersededBy: row.superseded_by,
    confidence: Number(row.confidence),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  }
}

/** The columns that make up a `Fact`; the embedding and tsvector stay in the database. */
export const FACT_COLUMNS = [
  'facts.id',
  'facts.user_id',
  'facts.namespace',
  'facts.content',
  'facts.kind',
  'facts.key',
  'facts.status',
  'facts.valid_from',
  'facts.valid_to',
  'facts.superseded_by',
  'facts.confidence',
  'facts.created_at',
  'facts.updated_at',
] as const

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value)
}
