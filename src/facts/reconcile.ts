import { z } from 'zod'
import { parseOrThrow } from '../errors.js'

/**
 * Reconciliation: deciding what each candidate fact does to the user's active facts.
 *
 * Pure and synchronous, so the rules can be read and tested without a database. The extraction
 * processor loads the neighbourhood (`existing`), calls `reconcileFacts`, and applies the
 * decisions in order inside the transaction that also advances the session's watermark.
 *
 * For each candidate, in order:
 * 1. `replacesFactId` names an active fact of the working set → `noop` if it says the same thing,
 *    otherwise `supersede` it. An id the working set does not hold (another user's fact, a fact
 *    already replaced, a made-up id) is ignored and matching continues, so model output can never
 *    reach outside the user's scope.
 * 2. Same `key` as an active fact → `noop` when the text is the same, `update` when the wording is
 *    a near-restatement (`restateSimilarity`), otherwise `supersede` (a key is a single-valued
 *    slot: two different values cannot both hold).
 * 3. Otherwise the most similar active fact whose key does not conflict (both keys set and
 *    different means different slots): `noop` when the normalised text is equal or the cosine
 *    similarity reaches `duplicateSimilarity`, `update` from `updateSimilarity`, else `add`.
 *
 * Later candidates see the effect of earlier ones: a fact added by candidate 0 can be
 * superseded by candidate 1 ("I live in Berlin … actually, Oslo"), and a repeat within the batch
 * is a `noop` on the fact added moments before. Facts created in the batch are named by
 * placeholders (`new:<candidate index>`) until the caller writes them.
 */

/** Tunable thresholds (cosine similarity of the embeddings, in [-1, 1]). */
export const ReconcileOptionsSchema = z
  .strictObject({
    /**
     * At or above this, an unkeyed candidate is the same statement again: provenance only.
     * @defaultValue 0.95
     */
    duplicateSimilarity: z.number().min(-1).max(1).default(0.95),
    /**
     * At or above this (and below `duplicateSimilarity`), an unkeyed candidate restates an
     * existing fact in other words: sources merge and the wording may change.
     * @defaultValue 0.85
     */
    updateSimilarity: z.number().min(-1).max(1).default(0.85),
    /**
     * Two different texts under one key count as a restatement (update) rather than a new value
     * (supersede) only at or above this similarity. High on purpose: a wrongly merged new value
     * silently keeps a stale fact, while a needless supersede keeps both versions and their sources.
     * @defaultValue 0.92
     */
    restateSimilarity: z.number().min(-1).max(1).default(0.92),
  })
  .refine((o) => o.updateSimilarity <= o.duplicateSimilarity, {
    message: 'updateSimilarity must not exceed duplicateSimilarity',
  })
export type ReconcileOptions = z.input<typeof ReconcileOptionsSchema>
export type ReconcileConfig = z.output<typeof ReconcileOptionsSchema>

/** An active fact the candidates are compared with. */
export interface ReconcileFact {
  id: string
  content: string
  kind: string | null
  key: string | null
  confidence: number
  /** `null` when the fact has no embedding; it can then only match by key or equal text. */
  embedding: readonly number[] | null
}

/** A candidate with its embedding (one vector per candidate, same embedder as the facts). */
export interface ReconcileCandidate {
  content: string
  kind: string | null
  key: string | null
  confidence: number
  replacesFactId: string | null
  embedding: readonly number[]
}

/** Why a decision was made; recorded as the fact event's reason. */
export type ReconcileReason =
  | 'new'
  | 'replaces_fact_id'
  | 'same_key_same_text'
  | 'same_key_restated'
  | 'same_key_new_value'
  | 'same_text'
  | 'similar_duplicate'
  | 'similar_restated'

/**
 * What one candidate does. `target` and `ref` are fact ids, or `new:<i>` for the fact candidate
 * `i` of this batch added; `candidate` is the candidate's index.
 */
export type ReconcileDecision =
  | { action: 'add'; candidate: number; ref: string; reason: ReconcileReason }
  | {
      action: 'update'
      candidate: number
      target: string
      /** The wording the fact takes, or `null` to keep its content. */
      content: string | null
      /** Set when the fact had no key and the candidate supplies one. */
      key: string | null
      kind: string | null
      confidence: number
      similarity: number
      reason: ReconcileReason
    }
  | { action: 'supersede'; candidate: number; target: string; ref: string; reason: ReconcileReason }
  | { action: 'noop'; candidate: number; target: string; similarity: number; reason: ReconcileReason }

/** Tally of decisions by action, for logs. */
export type ReconcileCounts = Record<ReconcileDecision['action'], number>

/** The placeholder id a fact added by candidate `index` carries until it is written. */
export function newFactRef(index: number): string {
  return `new:${index}`
}

/** Lowercase, punctuation and extra whitespace removed: "Prefers TypeScript." equals "prefers typescript". */
export function normalizeFactText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

/** Cosine similarity of two vectors; 0 when either is all zeros or they differ in length. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/**
 * Decides, for each candidate in order, whether it adds, updates, supersedes or repeats a fact.
 * @throws FactlineError `invalid_config` for malformed thresholds.
 */
export function reconcileFacts(
  existing: readonly ReconcileFact[],
  candidates: readonly ReconcileCandidate[],
  options: ReconcileOptions = {},
): ReconcileDecision[] {
  const config = parseOrThrow(ReconcileOptionsSchema, options, 'invalid_config', 'Invalid reconcile options')
  // The working set holds active facts only; it changes as decisions are made.
  const active = new Map<string, ReconcileFact>(existing.map((f) => [f.id, { ...f }]))
  const decisions: ReconcileDecision[] = []

  candidates.forEach((candidate, index) => {
    const decision = decide(candidate, index, active, config)
    decisions.push(decision)
    apply(decision, candidate, active)
  })
  return decisions
}

/** Counts decisions by action. */
export function countDecisions(decisions: readonly ReconcileDecision[]): ReconcileCounts {
  const counts: ReconcileCounts = { add: 0, update: 0, supersede: 0, noop: 0 }
  for (const d of decisions) counts[d.action]++
  return counts
}

function decide(
  candidate: ReconcileCandidate,
  index: number,
  active: ReadonlyMap<string, ReconcileFact>,
  config: ReconcileConfig,
): ReconcileDecision {
  const text = normalizeFactText(candidate.content)
  const similarity = (fact: ReconcileFact) => (fact.embedding ? cosineSimilarity(candidate.embedding, fact.embedding) : 0)

  const replaced = candidate.replacesFactId === null ? undefined : active.get(candidate.replacesFactId)
  if (replaced) {
    if (normalizeFactText(replaced.content) === text) {
      return { action: 'noop', candidate: index, target: replaced.id, similarity: similarity(replaced), reason: 'same_text' }
    }
    return { action: 'supersede', candidate: index, target: replaced.id, ref: newFactRef(index), reason: 'replaces_fact_id' }
  }

  if (candidate.key !== null) {
    const sameKey = [...active.values()].filter((f) => f.key === candidate.key)
    if (sameKey.length > 0) {
      const equal = sameKey.find((f) => normalizeFactText(f.content) === text)
      if (equal) {
        return { action: 'noop', candidate: index, target: equal.id, similarity: similarity(equal), reason: 'same_key_same_text' }
      }
      const [nearest, sim] = best(sameKey, similarity)
      if (sim >= config.restateSimilarity) return update(candidate, index, nearest, sim, 'same_key_restated')
      return { action: 'supersede', candidate: index, target: nearest.id, ref: newFactRef(index), reason: 'same_key_new_value' }
    }
  }

  const compatible = [...active.values()].filter(
    (f) => candidate.key === null || f.key === null || f.key === candidate.key,
  )
  const equal = compatible.find((f) => normalizeFactText(f.content) === text)
  if (equal) return { action: 'noop', candidate: index, target: equal.id, similarity: similarity(equal), reason: 'same_text' }
  if (compatible.length > 0) {
    const [nearest, sim] = best(compatible, similarity)
    if (sim >= config.duplicateSimilarity) {
      return { action: 'noop', candidate: index, target: nearest.id, similarity: sim, reason: 'similar_duplicate' }
    }
    if (sim >= config.updateSimilarity) return update(candidate, index, nearest, sim, 'similar_restated')
  }
  return { action: 'add', candidate: index, ref: newFactRef(index), reason: 'new' }
}

/**
 * A restatement: sources merge; the fact takes the newer wording unless the candidate is less
 * sure than the fact, since the latest phrasing is usually the user's current one.
 */
function update(
  candidate: ReconcileCandidate,
  index: number,
  target: ReconcileFact,
  similarity: number,
  reason: ReconcileReason,
): ReconcileDecision {
  const reword = candidate.confidence >= target.confidence && candidate.content !== target.content
  return {
    action: 'update',
    candidate: index,
    target: target.id,
    content: reword ? candidate.content : null,
    key: target.key ?? candidate.key,
    kind: target.kind ?? candidate.kind,
    confidence: Math.max(target.confidence, candidate.confidence),
    similarity,
    reason,
  }
}

function apply(decision: ReconcileDecision, candidate: ReconcileCandidate, active: Map<string, ReconcileFact>): void {
  const added = (ref: string): ReconcileFact => ({
    id: ref,
    content: candidate.content,
    kind: candidate.kind,
    key: candidate.key,
    confidence: candidate.confidence,
    embedding: candidate.embedding,
  })
  switch (decision.action) {
    case 'add':
      active.set(decision.ref, added(decision.ref))
      return
    case 'supersede':
      active.delete(decision.target)
      active.set(decision.ref, added(decision.ref))
      return
    case 'update': {
      const fact = active.get(decision.target) as ReconcileFact
      active.set(decision.target, {
        ...fact,
        key: decision.key,
        kind: decision.kind,
        confidence: decision.confidence,
        ...(decision.content !== null ? { content: decision.content, embedding: candidate.embedding } : {}),
      })
      return
    }
    case 'noop':
      return
  }
}

/** The most similar fact; ties go to the earlier one so results do not depend on map order quirks. */
function best(facts: readonly ReconcileFact[], similarity: (f: ReconcileFact) => number): [ReconcileFact, number] {
  let top = facts[0] as ReconcileFact
  let topSim = similarity(top)
  for (const fact of facts.slice(1)) {
    const sim = similarity(fact)
    if (sim > topSim) {
      top = fact
      topSim = sim
    }
  }
  return [top, topSim]
}
