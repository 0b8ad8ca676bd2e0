import { z } from 'zod'
import { FactKeySchema, FactKindSchema, MAX_FACT_CONTENT_LENGTH } from '../facts/fact-input.js'

/** A transcript item handed to an extractor, with the ids a fact must cite as its source. */
export interface ExtractionItem {
  messageId: number
  sessionId: string
  /** From `itemText`: `user`, `assistant`, or the item type for tool items. */
  role: string
  text: string
  /** When the item was stored; lets an extractor resolve "yesterday" or "on Friday". */
  createdAt?: Date | undefined
}

/** One of the user's existing facts, shown to the extractor so it can spot repeats and corrections. */
export interface ExistingFact {
  id: string
  content: string
  kind: string | null
  key: string | null
}

export interface ExtractionInput {
  userId: string
  namespace: string
  /** New items since the session's watermark, oldest first. */
  items: ExtractionItem[]
  /** The user's most relevant active facts in this namespace. */
  existingFacts: ExistingFact[]
}

/** A fact an extractor proposes; reconciliation decides whether it adds, updates or supersedes. */
export const CandidateFactSchema = z.strictObject({
  /** One self-contained statement about the user, third person: "Prefers TypeScript over Python". */
  content: z.string().trim().min(1).max(MAX_FACT_CONTENT_LENGTH),
  /** Broad category, e.g. `name`, `location`, `preference`, `decision`, `deadline`. */
  kind: FactKindSchema.nullable().default(null),
  /** Slot for contradiction detection: two active facts with one key cannot both be true. */
  key: FactKeySchema.nullable().default(null),
  /** Ids of the transcript items (from the input) this fact was drawn from. */
  sourceMessageIds: z.array(z.number().int().positive()).min(1),
  /** 0–1. @defaultValue 1 */
  confidence: z.number().min(0).max(1).default(1),
  /** Id of an existing fact this one corrects or replaces, when the extractor can tell. */
  replacesFactId: z.string().min(1).nullable().default(null),
})
export type CandidateFact = z.output<typeof CandidateFactSchema>
export type CandidateFactInput = z.input<typeof CandidateFactSchema>

/** Proposes facts from new transcript items. Implementations: the OpenAI extractor and the offline NLP extractor. */
export interface Extractor {
  /** Names the extractor in fact events, e.g. `nlp-v1` or `openai`. */
  readonly id: string
  /** The model used, when there is one; recorded in fact events. */
  readonly model: string | null
  extract(input: ExtractionInput, signal?: AbortSignal): Promise<CandidateFact[]>
}
