/**
 * The offline extractor on wink-nlp: any declarative first-person statement in a user message
 * becomes a candidate fact in the third person.
 *
 * How. The message is cleaned (code, quotes, links removed; bounded to `MAX_MESSAGE_CHARS`), cut
 * into sentences and tagged by wink-nlp, split into clauses at punctuation and at conjunctions
 * that open a new subject, and each clause is read as a statement whose subject is "I", "we" or
 * "my …" (`self-statement.ts`). The verb is conjugated to the third person, "my/me" become
 * "their/them", relative dates are resolved against the message's time, and the statement gets a
 * kind and, for slots that supersede each other, a key (`fact-slot.ts`).
 *
 * Other people. "My sister loves sushi" is kept, attributed ("Sister loves sushi", kind
 * `relationship`), because it is what the user told about their family; "She loves sushi" is
 * dropped, like every clause whose pronoun the fact could not resolve.
 *
 * Limits, honestly. English only; a clause is read on its own, so a pronoun pointing to an
 * earlier sentence drops the fact rather than guessing. Sentences with "if", "maybe", "wish" or
 * "hope" are skipped whole, and so are questions' last clauses, subordinate clauses ("because …")
 * and modal talk ("I would", "I should"). Tagging errors of the small web model cost recall, not
 * safety: a clause that does not parse as subject + verb yields nothing.
 */
import { z } from 'zod'
import { hasInjectionFraming, isInstructionLike } from '../instruction-like.js'
import { parseOrThrow } from '../../errors.js'
import type { CandidateFact, ExtractionInput, ExtractionItem, Extractor } from '../extractor.js'
import { readClauses, restoreDots } from './clause-reader.js'
import { FactBatch } from './fact-batch.js'
import { slotOf } from './fact-slot.js'
import { readSelfStatements } from './self-statement.js'

/** Options for {@link NlpExtractor}. */
export const NlpExtractorOptionsSchema = z.strictObject({
  /**
   * Also read assistant messages, for transcripts where the assistant role speaks for the user;
   * such candidates get 0.8× the confidence.
   * @defaultValue false
   */
  includeAssistant: z.boolean().default(false),
})
export type NlpExtractorOptions = z.input<typeof NlpExtractorOptionsSchema>
export type NlpExtractorConfig = z.output<typeof NlpExtractorOptionsSchema>

const ASSISTANT_FACTOR = 0.8
const CONFIDENCE = { keyed: 0.9, self: 0.8, we: 0.7, possession: 0.7 } as const

/**
 * An offline {@link Extractor} built on wink-nlp: first-person statements about the user's life
 * (identity, health, family, pets, places, work, plans, experiences, opinions, decisions) as
 * third-person facts. No network, no model download; deterministic.
 *
 * @throws FactlineError `invalid_config` when an option is unknown or mistyped.
 * @example
 * const facts = await new NlpExtractor().extract({ userId, namespace, existingFacts: [], items: [
 *   { messageId: 1, sessionId, role: 'user', text: "I'm allergic to peanuts and I have two cats named Miso and Tofu." },
 * ] })
 * // [{ content: 'Is allergic to peanuts', key: 'allergy_peanuts', … }, { content: 'Has two cats named Miso and Tofu', kind: 'pet', … }]
 */
export class NlpExtractor implements Extractor {
  readonly id = 'nlp-v1'
  readonly model = null
  readonly #config: NlpExtractorConfig

  constructor(options: NlpExtractorOptions = {}) {
    this.#config = parseOrThrow(NlpExtractorOptionsSchema, options, 'invalid_config', 'invalid NlpExtractor options')
  }

  async extract(input: ExtractionInput, signal?: AbortSignal): Promise<CandidateFact[]> {
    signal?.throwIfAborted()
    return extractWithNlp(input, this.#config)
  }
}

/**
 * Reads a batch. Pure and deterministic; an item that fails to parse is skipped, not thrown.
 * @internal
 */
export function extractWithNlp(input: ExtractionInput, config: NlpExtractorConfig = { includeAssistant: false }): CandidateFact[] {
  const batch = new FactBatch(input.existingFacts)
  for (const item of input.items) {
    const factor = item.role === 'user' ? 1 : item.role === 'assistant' && config.includeAssistant ? ASSISTANT_FACTOR : 0
    if (factor === 0) continue
    for (const c of readItem(item)) batch.add(c.content, c.slot, item.messageId, Math.round(c.confidence * factor * 100) / 100)
  }
  return batch.facts()
}

function readItem(item: ExtractionItem): Array<{ content: string; slot: ReturnType<typeof slotOf>; confidence: number }> {
  // Prompt-injection framing ("## SYSTEM:", "</instructions>", "ignore previous instructions")
  // taints the whole message; an instruction to the assistant is never a fact about the user.
  if (hasInjectionFraming(item.text)) return []
  try {
    const out = []
    for (const clause of readClauses(withoutNoteLead(item.text))) {
      if (isInstructionLike(clause.tokens.map((t) => t.text).join(' '))) continue
      for (const statement of readSelfStatements(clause, item.createdAt)) {
        const slot = slotOf(statement)
        const confidence = slot.key !== null ? CONFIDENCE.keyed : CONFIDENCE[statement.subject]
        out.push({ content: restoreDots(statement.content), slot, confidence })
      }
    }
    return out
  } catch {
    // A tokenizer failure on one odd message must not lose the rest of the batch.
    return []
  }
}

/**
 * "Remember that my passport expires in May" is a note about the user, not an order: the lead is
 * dropped when a first-person statement follows, so the statement is read. "Remember, you should…"
 * keeps its lead and stays advice.
 */
const NOTE_LEAD = /(^|[.!?]\s+)(?:please\s+)?(?:remember|note|keep in mind|fyi|for the record)(?:\s+that|,|:)?\s+(?=(?:my|i|i'm|i've|we|we're|our)\b)/gi

function withoutNoteLead(text: string): string {
  return text.replace(NOTE_LEAD, '$1')
}
