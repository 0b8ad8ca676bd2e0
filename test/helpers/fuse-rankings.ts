import { RRF_K } from '../../src/recall/recall-query.js'

export interface FusionInput {
  /** Vector candidates, nearest first, with cosine similarity. */
  vector: ReadonlyArray<{ id: string; similarity: number }>
  /** Full-text matches, best first. */
  text: ReadonlyArray<{ id: string }>
}

export interface FusedCandidate {
  id: string
  /** Normalised reciprocal rank fusion score in (0, 1]; 1 = first in both lists. */
  fused: number
  similarity: number | null
  vectorRank: number | null
  textRank: number | null
}

/**
 * Reciprocal rank fusion of the vector and full-text rankings, normalised to (0, 1]:
 * `fused = (1/(K + r_vec) + 1/(K + r_text)) / (2/(K + 1))`, where a list a fact is missing from
 * contributes 0 and ranks start at 1. Ranks rather than raw scores are fused because cosine
 * similarities and `ts_rank_cd` values live on unrelated scales. `recallFacts` computes this in SQL
 * (`recallQuery`); this function is the reference its scores are tested against, and so lives
 * with the tests.
 */
export function fuseRankings(input: FusionInput, k: number = RRF_K): FusedCandidate[] {
  const byId = new Map<string, FusedCandidate>()
  const entry = (id: string) => {
    let c = byId.get(id)
    if (!c) {
      c = { id, fused: 0, similarity: null, vectorRank: null, textRank: null }
      byId.set(id, c)
    }
    return c
  }
  input.vector.forEach((v, i) => {
    const c = entry(v.id)
    c.vectorRank = i + 1
    c.similarity = v.similarity
    c.fused += 1 / (k + i + 1)
  })
  input.text.forEach((t, i) => {
    const c = entry(t.id)
    c.textRank = i + 1
    c.fused += 1 / (k + i + 1)
  })
  const best = 2 / (k + 1)
  return [...byId.values()].map((c) => ({ ...c, fused: c.fused / best }))
}

/**
 * The recency multiplier: `(1 - weight) + weight * 0.5 ^ (ageDays / halfLifeDays)`, so a fact
 * from today keeps its score, and a very old one loses at most `weight` of it.
 */
export function recencyFactor(ageDays: number, halfLifeDays: number, weight: number): number {
  const decay = Math.pow(0.5, Math.max(0, ageDays) / halfLifeDays)
  return 1 - weight + weight * decay
}
