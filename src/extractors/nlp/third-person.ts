/**
 * Conjugation of the user's own verb into the third person singular, the form facts are stored in
 * ("I love Rust" → "Loves Rust"). Only the first verb after "I" changes; past forms stay as they are.
 * @internal
 */

const IRREGULAR: Readonly<Record<string, string>> = {
  am: 'is', 'm': 'is', have: 'has', 've': 'has', do: 'does', go: 'goes', are: 'is', 're': 'is',
  dont: "doesn't", "don't": "doesn't", was: 'was', were: 'was',
}
const UNCHANGED = new Set(['can', 'ca', 'will', "'ll", 'wo', 'did', 'had', 'could', 'would', 'should', 'might', 'must', 'used'])

// Past forms spelled like the present: left alone, narrative past is the likelier reading.
const SAME_PAST = new Set(['put', 'cut', 'set', 'read', 'hit', 'let', 'quit', 'hurt', 'cost', 'shut', 'spread', 'bet', 'split', 'beat', 'cast', 'burst', 'shed', 'upset'])

/** The third person singular of a first-person present form; past and modal forms unchanged. */
export function conjugateThirdPerson(word: string, lemma: string): string {
  const lower = word.toLowerCase()
  const irregular = IRREGULAR[lower]
  if (irregular !== undefined) return irregular
  if (UNCHANGED.has(lower)) return word
  if (lower !== lemma.toLowerCase() || SAME_PAST.has(lower)) return word
  if (/(?:s|sh|ch|x|z|o)$/.test(lower)) return `${word}es`
  if (/[^aeiou]y$/.test(lower)) return `${word.slice(0, -1)}ies`
  return `${word}s`
}

/** The form a later "I" takes once the subject is "they": "that I am" → "that they are". */
export function conjugatePlural(word: string): string {
  const lower = word.toLowerCase()
  if (lower === 'am' || lower === "'m") return 'are'
  if (lower === 'was') return 'were'
  if (lower === "'ve") return 'have'
  if (lower === "'ll") return 'will'
  if (lower === "'d") return 'would'
  return word
}

/** First-person words inside a clause, rewritten about the user. */
export const OBJECT_PRONOUNS: Readonly<Record<string, string>> = {
  my: 'their', me: 'them', myself: 'themself', mine: 'theirs', our: 'their', ours: 'theirs', us: 'them', ourselves: 'themselves',
}
