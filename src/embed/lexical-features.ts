import { lemmatize, type Lemma } from './lemmatize.js'
import type { WordNetLexicon } from './wordnet-lexicon.js'

/** A feature name (hashed later) and its weight. */
export interface WeightedFeature {
  readonly feature: string
  readonly weight: number
}

/** What WordNet adds for one word or collocation: its lemmas, and its senses spread over synsets. */
export interface LexicalInfo {
  /** `l:<lemma>` features, one per part of speech the word is listed under. */
  readonly lemmas: readonly string[]
  /** `s:<synset>` features, L2-normalised so every word brings the same semantic mass. */
  readonly senses: readonly WeightedFeature[]
}

// Only the first senses: later ones are rare and would pull unrelated words together.
const SENSES_PER_POS = 3
const SENSE_RANK_DECAY = 0.6
const HYPERNYM_LEVELS = 5
const HYPERNYM_DECAY = 0.75
// Synsets this close to the top of the noun hierarchy ("entity", "object", "abstraction",
// "whole", "person") are shared by most nouns and would make everything similar.
const MIN_NOUN_DEPTH = 4
const CACHE_LIMIT = 50_000
// Powers by repeated multiplication: Math.pow may round differently across engines, and vectors
// must be the same everywhere.
const RANK_WEIGHTS = powers(SENSE_RANK_DECAY, SENSES_PER_POS)
const LEVEL_WEIGHTS = powers(HYPERNYM_DECAY, HYPERNYM_LEVELS + 1)

function powers(base: number, count: number): number[] {
  const out = [1]
  for (let i = 1; i < count; i++) out.push((out[i - 1] as number) * base)
  return out
}

/**
 * Turns words into WordNet features, once per distinct word: the lemmas (morphy), the synsets of
 * the first few senses of each part of speech (so synonyms share a feature), and up to four levels
 * of broader synsets with decaying weight (so "cat" and "pet", "gingersnap" and "food" overlap).
 * @internal
 */
export class LexicalFeatures {
  readonly #lexicon: WordNetLexicon
  readonly #words = new Map<string, LexicalInfo>()
  readonly #depths = new Map<string, number>()

  constructor(lexicon: WordNetLexicon) {
    this.#lexicon = lexicon
  }

  /** Features of a lowercase word; empty when WordNet does not know it. */
  forWord(word: string): LexicalInfo {
    const cached = this.#words.get(word)
    if (cached) return cached
    const info = this.#describe(lemmatize(this.#lexicon, word))
    // Cleared rather than evicted piecemeal: it is a cache, results never depend on it.
    if (this.#words.size >= CACHE_LIMIT) this.#words.clear()
    this.#words.set(word, info)
    return info
  }

  /** Features of a two-word noun collocation ("ginger snaps" → ginger_snap), or undefined when WordNet has none. */
  forPair(first: string, second: string): LexicalInfo | undefined {
    const key = `${first} ${second}`
    const cached = this.#words.get(key)
    if (cached) return cached.senses.length > 0 ? cached : undefined
    const head = lemmatize(this.#lexicon, second).find((l) => l.pos === 'n')?.lemma ?? second
    const lemma = `${first}_${head}`
    const info = this.#lexicon.has(lemma, 'n') ? this.#describe([{ lemma, pos: 'n' }]) : { lemmas: [], senses: [] }
    if (this.#words.size >= CACHE_LIMIT) this.#words.clear()
    this.#words.set(key, info)
    return info.senses.length > 0 ? info : undefined
  }

  #describe(lemmas: readonly Lemma[]): LexicalInfo {
    const weights = new Map<string, number>()
    const add = (key: string, weight: number): void => {
      weights.set(key, (weights.get(key) ?? 0) + weight)
    }
    for (const { lemma, pos } of lemmas) {
      const senses = this.#lexicon.senses(lemma, pos).slice(0, SENSES_PER_POS)
      senses.forEach((sense, rank) => {
        const weight = RANK_WEIGHTS[rank] as number
        add(sense, weight)
        this.#addBroader(sense, weight, add)
      })
    }
    let norm = 0
    for (const weight of weights.values()) norm += weight * weight
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0
    // Sorted so the feature order, and so float summation, never depends on Map insertion quirks.
    const senses = [...weights.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, weight]) => ({ feature: `s:${key}`, weight: weight * scale }))
    return { lemmas: [...new Set(lemmas.map((l) => `l:${l.lemma}`))], senses }
  }

  /** Breadth-first up the hierarchy, each synset once, at its nearest level. */
  #addBroader(sense: string, weight: number, add: (key: string, weight: number) => void): void {
    const seen = new Set([sense])
    let level = [sense]
    for (let depth = 1; depth <= HYPERNYM_LEVELS && level.length > 0; depth++) {
      const next: string[] = []
      for (const key of level) {
        for (const broader of this.#lexicon.synset(key).broader) {
          if (seen.has(broader)) continue
          seen.add(broader)
          next.push(broader)
          if (broader.startsWith('n') && this.#depth(broader) < MIN_NOUN_DEPTH) continue
          add(broader, weight * (LEVEL_WEIGHTS[depth] as number))
        }
      }
      level = next
    }
  }

  /** Shortest distance from a noun synset up to a root ("entity"). */
  #depth(key: string): number {
    const cached = this.#depths.get(key)
    if (cached !== undefined) return cached
    this.#depths.set(key, 0) // guards against a cycle in the data
    const broader = this.#lexicon.synset(key).broader
    const depth = broader.length === 0 ? 0 : 1 + Math.min(...broader.map((b) => this.#depth(b)))
    this.#depths.set(key, depth)
    return depth
  }
}
