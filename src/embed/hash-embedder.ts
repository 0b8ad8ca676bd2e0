import { z } from 'zod'
import { MAX_EMBEDDING_DIMENSIONS } from '../db/embedding-dimensions.js'
import { parseOrThrow } from '../errors.js'
import type { Embedder } from './embedder.js'

/** Vector length of the hashing embedder when none is configured (see `DEFAULT_EMBEDDING_DIMENSIONS` for why it differs). */
export const DEFAULT_HASH_DIMENSIONS = 384

/** Options for {@link HashEmbedder}. */
export const HashEmbedderOptionsSchema = z.strictObject({
  /**
   * Length of every vector; must match the database's embedding column (pgvector's `vector`
   * type stops at 16000).
   * @defaultValue 384
   */
  dimensions: z.number().int().min(8).max(MAX_EMBEDDING_DIMENSIONS).default(DEFAULT_HASH_DIMENSIONS),
})
export type HashEmbedderOptions = z.input<typeof HashEmbedderOptionsSchema>

// Relative weights: whole words carry the meaning, character n-grams bridge spelling and
// inflection ("deploy" / "deployment"), bigrams reward shared phrases. Stopwords stay in at a
// whisper so a stopword-only text still gets a meaningful vector.
const WORD_WEIGHT = 1
const STOPWORD_WEIGHT = 0.1
const BIGRAM_WEIGHT = 0.5
const CHAR_GRAMS_WEIGHT = 0.6

const STOPWORDS = new Set(
  (
    'a an and are as at be been being but by can could did do does doing for from had has have ' +
    'having he her here hers him his how i if in into is it its itself just me more most my ' +
    'myself no nor not of off on once only or other our ours out over own same she should so ' +
    'some such than that the their theirs them then there these they this those through to too ' +
    'under until up very was we were what when where which while who whom why will with would ' +
    'you your yours im ive id dont also about am'
  ).split(' '),
)

/**
 * An offline, deterministic embedder: feature hashing of normalised words, word bigrams and
 * character 3–4-grams into a fixed-length, L2-normalised vector.
 *
 * It is a heuristic, not a language model. Texts that share words (or word stems, or spellings)
 * score a higher cosine similarity than texts that don't; synonyms with no shared letters do not
 * match. Use it for offline development, tests and the embedded demo, and an OpenAI embedder in
 * production.
 *
 * Pipeline, per text: Unicode NFKC, lowercase, apostrophes dropped and other punctuation turned
 * into spaces; light English stemming (plural `-s`/`-es`/`-ies`, `-ing`, `-ed`, a final `-e`);
 * common English stopwords kept at a tenth of a word's weight. Each feature is hashed with
 * 32-bit FNV-1a (plus a murmur3 finaliser) into a bucket with a hashed ±1 sign, so collisions
 * cancel out on average instead of inflating similarity.
 *
 * Text with no letters or digits at all (e.g. `''` or `'?!'`) maps to one fixed unit vector
 * rather than a zero vector: pgvector's cosine distance `<=>` is NaN for a zero vector, which
 * would poison ranking. Such texts are therefore identical to each other and roughly orthogonal
 * to everything else.
 *
 * @example
 * const embedder = new HashEmbedder({ dimensions: 384 })
 * const [vector] = await embedder.embed(['Prefers TypeScript over Python'])
 */
export class HashEmbedder implements Embedder {
  /** `hash-v1-<dimensions>`; changes whenever the hashing scheme changes vectors. */
  readonly id: string
  readonly dimensions: number

  /** @throws FactlineError `invalid_config` when `dimensions` is not an integer in 8–16000. */
  constructor(options: HashEmbedderOptions = {}) {
    const config = parseOrThrow(HashEmbedderOptionsSchema, options, 'invalid_config', 'Invalid HashEmbedder options')
    this.dimensions = config.dimensions
    this.id = `hash-v1-${config.dimensions}`
  }

  /** One unit-length vector per text, in input order. Synchronous work, wrapped in a promise. */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted()
    return texts.map((text) => this.embedOne(text))
  }

  /** The vector for one text; the same text always gives the same vector. */
  embedOne(text: string): number[] {
    const vector = new Float64Array(this.dimensions)
    const words = tokenize(text)
    const content: string[] = []

    for (const word of words) {
      const isStopword = STOPWORDS.has(word)
      const stem = stemWord(word)
      this.add(vector, `w:${stem}`, isStopword ? STOPWORD_WEIGHT : WORD_WEIGHT)
      if (isStopword) continue
      content.push(stem)
      const grams = charGrams(word)
      const gramWeight = CHAR_GRAMS_WEIGHT / Math.sqrt(grams.length)
      for (const gram of grams) this.add(vector, `c:${gram}`, gramWeight)
    }
    // Bigrams over content words only, so "moved to Berlin" and "moved Berlin" still agree.
    for (let i = 1; i < content.length; i++) {
      this.add(vector, `b:${content[i - 1]} ${content[i]}`, BIGRAM_WEIGHT)
    }

    let norm = 0
    for (const value of vector) norm += value * value
    if (norm === 0) {
      this.add(vector, 'empty:', 1)
      norm = 1
    }
    const scale = 1 / Math.sqrt(norm)
    return Array.from(vector, (value) => value * scale)
  }

  private add(vector: Float64Array, feature: string, weight: number): void {
    const hash = fmix32(fnv1a32(feature))
    const index = hash % this.dimensions
    // The sign comes from bits the modulo barely uses, so it is independent of the bucket.
    const sign = (fmix32(hash ^ 0x9e3779b9) & 1) === 0 ? 1 : -1
    vector[index] = (vector[index] ?? 0) + sign * weight
  }
}

/** Normalised words: NFKC, lowercase, apostrophes removed, anything not a letter or digit splits. */
function tokenize(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)
}

/** A deliberately light stemmer: merges common inflections and never needs a dictionary. */
function stemWord(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word
  let stem = word
  if (stem.endsWith('ies') && stem.length > 4) stem = `${stem.slice(0, -3)}y`
  else if (/(?:ss|x|z|ch|sh)es$/.test(stem)) stem = stem.slice(0, -2)
  else if (stem.endsWith('ses') && stem.length > 4) stem = stem.slice(0, -1)
  else if (stem.endsWith('s') && !/(?:ss|us|is)$/.test(stem)) stem = stem.slice(0, -1)
  else if (stem.endsWith('ing') && stem.length > 5) stem = undouble(stem.slice(0, -3))
  else if (stem.endsWith('ed') && stem.length > 4) stem = undouble(stem.slice(0, -2))
  // "like", "liked", "liking" and "likes" all end up as "lik".
  if (stem.endsWith('e') && stem.length > 3) stem = stem.slice(0, -1)
  return stem
}

function undouble(stem: string): string {
  return /([b-df-hj-np-tv-z])\1$/.test(stem) && !/(?:ll|ss|zz)$/.test(stem) ? stem.slice(0, -1) : stem
}

/** Character 3- and 4-grams of the word padded with boundary markers: `<go>` → `<go`, `go>`, `<go>`. */
function charGrams(word: string): string[] {
  const padded = `<${word}>`
  const chars = Array.from(padded)
  const grams: string[] = []
  for (const n of [3, 4]) {
    for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(''))
  }
  return grams.length > 0 ? grams : [padded]
}

/** 32-bit FNV-1a over UTF-16 code units. */
function fnv1a32(input: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** murmur3's finaliser: spreads FNV's weak low bits so `% dimensions` buckets evenly. */
function fmix32(input: number): number {
  let h = input
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
