/**
 * Collects a batch's candidates in order: repeats merge their citations, and the first candidate
 * for a key replaces the user's existing fact in that slot (or a keyless one that reads like the
 * slot, "Lives in …"). Later candidates for the same key leave `replacesFactId` null, because
 * reconciliation supersedes the earlier candidate by key.
 * @internal
 */
import { CandidateFactSchema, type CandidateFact, type ExistingFact } from '../extractor.js'
import type { FactSlot } from './fact-slot.js'

// How an unkeyed fact for a slot starts, so "I moved to Oslo" can replace "Lives in Berlin".
const SLOT_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  home_location: ['lives in ', 'moved to ', 'is based in ', 'relocated to '],
  employer: ['works at ', 'works for '],
  job_title: ['is a ', 'is an ', 'works as '],
  diet: ['is vegetarian', 'is vegan', 'is pescatarian'],
  name: ['name is ', 'goes by ', 'is called '],
}

export class FactBatch {
  readonly #facts: CandidateFact[] = []
  readonly #existing: readonly ExistingFact[]
  readonly #replaced = new Set<string>()
  readonly #keys = new Set<string>()

  constructor(existing: readonly ExistingFact[]) {
    this.#existing = existing
  }

  facts(): CandidateFact[] {
    return this.#facts
  }

  /** Adds a candidate; an invalid one is dropped, never thrown, so one bad clause cannot sink a batch. */
  add(content: string, slot: FactSlot, messageId: number, confidence: number): void {
    const normalized = normalizeContent(content)
    const duplicate = this.#facts.find((f) => f.key === slot.key && normalizeContent(f.content) === normalized)
    if (duplicate !== undefined) {
      if (!duplicate.sourceMessageIds.includes(messageId)) duplicate.sourceMessageIds.push(messageId)
      duplicate.confidence = Math.max(duplicate.confidence, confidence)
      return
    }
    const replacesFactId = this.#findReplaced(normalized, slot)
    const parsed = CandidateFactSchema.safeParse({ content, kind: slot.kind, key: slot.key, sourceMessageIds: [messageId], confidence, replacesFactId })
    if (!parsed.success) return
    if (replacesFactId !== null) this.#replaced.add(replacesFactId)
    if (slot.key !== null) this.#keys.add(slot.key)
    this.#facts.push(parsed.data)
  }

  #findReplaced(normalized: string, slot: FactSlot): string | null {
    if (slot.key === null || this.#keys.has(slot.key)) return null
    const open = this.#existing.filter((f) => !this.#replaced.has(f.id))
    const same = open.find((f) => f.key === slot.key)
    if (same !== undefined) return normalizeContent(same.content) === normalized ? null : same.id
    const prefixes = SLOT_PREFIXES[slot.key]
    if (!slot.replaces || prefixes === undefined) return null
    const fact = open.find((f) => f.key === null && prefixes.some((p) => normalizeContent(f.content).startsWith(p)))
    return fact === undefined || normalizeContent(fact.content) === normalized ? null : fact.id
  }
}

/** Case- and spacing-insensitive comparison form of a fact's content. */
function normalizeContent(text: string): string {
  return text.trim().replace(/[\s.,;:!?]+$/, '').toLowerCase().replace(/\s+/g, ' ')
}
