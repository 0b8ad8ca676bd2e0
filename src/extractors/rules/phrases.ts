/**
 * Phrase helpers for the rule extractor: trimming captured objects, building keys, spotting dates,
 * and rewriting a first-person clause in the third person.
 * @internal
 */

const LEADING_DETERMINER = /^(?:the|a|an|my|our|their|to)\s+/i

/**
 * Lowercase snake_case slug of a phrase, without a leading article or possessive, at most `max`
 * characters. `C++` → `cpp`, `C#` → `csharp`, `São Paulo` → `sao_paulo`.
 */
export function slugify(phrase: string, max = 40): string {
  return phrase
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(LEADING_DETERMINER, '')
    .replace(/\+\+/g, 'pp')
    .replace(/#/g, 'sharp')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[_0-9]+|_+$/g, '')
    .slice(0, max)
    .replace(/_+$/, '')
}

/** `prefix_<slug>`, or null when the phrase has nothing sluggable, so a key never ends up as a bare prefix. */
export function keyFor(prefix: string, phrase: string): string | null {
  const slug = slugify(phrase)
  return slug === '' ? null : `${prefix}_${slug}`
}

// Words that end an object: what follows is a time, a reason or a new thought, not part of the thing.
const GENERIC_STOPS = [
  'now', 'currently', 'nowadays', 'these days', 'at the moment', 'right now', 'anymore', 'any more',
  'though', 'although', 'because', 'since', 'but', 'so that', 'which', 'who', 'whereas', 'while',
  'lol', 'haha', 'btw', 'by the way', 'not', 'too', 'as well', 'either', 'instead', 'for now',
  'thanks', 'thank you', 'please',
]

function stopPattern(stops: readonly string[]): RegExp {
  const alternatives = stops.map((s) => s.replace(/ /g, '\\s+')).join('|')
  return new RegExp(`(?:\\s*,\\s*|\\s+)(?:${alternatives})\\b.*$`, 'is')
}

const GENERIC_STOP_RE = stopPattern(GENERIC_STOPS)
const stopCache = new Map<string, RegExp>()

/**
 * Cuts a captured object at the first stop word (generic ones plus `extraStops`), strips trailing
 * punctuation and emoticons, and rejects it (returns null) when empty or longer than `maxWords`.
 */
export function cleanObject(raw: string, extraStops: readonly string[] = [], maxWords = 8): string | null {
  // Parenthetical asides ("Rust (a lot)") qualify the object rather than name it.
  let text = raw.replace(/\s*\([^)]*(?:\)|$)/g, '').replace(GENERIC_STOP_RE, '')
  if (extraStops.length > 0) {
    const cacheKey = extraStops.join('|')
    let re = stopCache.get(cacheKey)
    if (re === undefined) {
      re = stopPattern(extraStops)
      stopCache.set(cacheKey, re)
    }
    text = text.replace(re, '')
  }
  text = trimPunctuation(text)
  if (text === '') return null
  if (text.split(/\s+/).length > maxWords) return null
  return text
}

/** Trailing punctuation, emoticons and stray brackets off; leading and trailing whitespace off. */
export function trimPunctuation(text: string): string {
  return text
    .replace(/\s*(?:[:;]-?[()DPp]|<3)+\s*$/u, '')
    .replace(/[\s.,;:!?…)\]}'\p{Extended_Pictographic}\u{FE0F}\u{200D}-]+$/u, '')
    .replace(/^[\s,;:([{'-]+/u, '')
    .trim()
}

/** Upper-cases the first letter, leaving the rest as typed. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** True when `text` contains `phrase` as whole words, ignoring case. */
export function mentions(text: string, phrase: string): boolean {
  if (phrase.trim() === '') return false
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(phrase.trim())}(?![\\p{L}\\p{N}])`, 'iu').test(text)
}

const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)'
const WEEKDAY = '(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:days?)?'
const DATE_RE = new RegExp(
  [
    '\\b\\d{4}-\\d{2}-\\d{2}\\b',
    '\\b\\d{1,2}[/.]\\d{1,2}(?:[/.]\\d{2,4})?\\b',
    `\\b${MONTH}\\b`,
    `\\b${WEEKDAY}\\b`,
    '\\b(?:today|tonight|tomorrow|eod|eow|eom|q[1-4])\\b',
    '\\bnext\\s+(?:week|month|year|quarter)\\b',
    '\\bend\\s+of\\s+(?:the\\s+)?(?:day|week|month|quarter|year|sprint)\\b',
    '\\bin\\s+\\d+\\s+(?:days?|weeks?|months?)\\b',
  ].join('|'),
  'i',
)

/** True when a phrase names a day: a month or weekday, an ISO or numeric date, or a relative one. */
export function isDateLike(text: string): boolean {
  return DATE_RE.test(text)
}

const MODALS = new Set([
  'can', 'could', 'will', 'would', 'shall', 'should', 'may', 'might', 'must', 'was', 'did', 'had',
  'used', "can't", 'cannot', "won't", "wouldn't", "couldn't", "shouldn't", "didn't", "wasn't",
])
const ADVERBS = new Set(['also', 'always', 'usually', 'often', 'never', 'really', 'still', 'just', 'mostly', 'only', 'rarely', 'sometimes'])

function conjugate(verb: string): string {
  const lower = verb.toLowerCase()
  if (MODALS.has(lower) || /ed$/.test(lower)) return verb
  if (lower === 'have') return 'has'
  if (lower === 'do') return 'does'
  if (lower === "don't") return "doesn't"
  if (/(?:s|sh|ch|x|z|o)$/.test(lower)) return `${verb}es`
  if (/[^aeiou]y$/.test(lower)) return `${verb.slice(0, -1)}ies`
  return `${verb}s`
}

const PRONOUNS: Array<[RegExp, string]> = [
  [/\bI(?:'m| am)\b/gi, 'they are'],
  [/\bI was\b/gi, 'they were'],
  [/\bI've\b/gi, "they've"],
  [/\bI'll\b/gi, "they'll"],
  [/\bI'd\b/gi, "they'd"],
  [/\bI\b/g, 'they'],
  [/\bi\b/g, 'they'],
  [/\bmyself\b/gi, 'themselves'],
  [/\bmine\b/gi, 'theirs'],
  [/\bmy\b/gi, 'their'],
  [/\bme\b/gi, 'them'],
  [/\bwe're\b/gi, "they're"],
  [/\bwe've\b/gi, "they've"],
  [/\bwe'll\b/gi, "they'll"],
  [/\bwe\b/gi, 'they'],
  [/\bourselves\b/gi, 'themselves'],
  [/\bours\b/gi, 'theirs'],
  [/\bour\b/gi, 'their'],
  [/\bus\b/g, 'them'],
]

/**
 * Rewrites a first-person clause in the third person: a leading "I" becomes "User" with the next
 * verb conjugated ("I drive a Tesla" → "User drives a Tesla"); any other "I"/"we" becomes "they",
 * which needs no conjugation, and my/our/me/us become their/them.
 */
export function toThirdPerson(clause: string): string {
  let text = trimPunctuation(clause)
  const lead = /^I(?:'m| am)\b/i.exec(text)
  if (lead !== null) {
    text = `User is${text.slice(lead[0].length)}`
  } else {
    const m = /^I(?:'ve| have)\b/i.exec(text) ?? /^I(?:'ll)\b/i.exec(text) ?? /^I(?:'d)\b/i.exec(text)
    if (m !== null) {
      const rest = text.slice(m[0].length)
      const aux = m[0].toLowerCase()
      text = `User ${aux.includes('ll') ? 'will' : aux.includes('d') && !aux.includes('v') ? 'would' : 'has'}${rest}`
    } else if (/^I\s/i.test(text)) {
      const words = text.slice(2).split(' ')
      let i = 0
      while (i < words.length - 1 && ADVERBS.has((words[i] ?? '').toLowerCase())) i++
      const verb = words[i]
      if (verb !== undefined) {
        if (/^do not$/i.test(`${verb} ${words[i + 1] ?? ''}`)) words.splice(i, 2, "doesn't")
        else words[i] = conjugate(verb)
      }
      text = `User ${words.join(' ')}`
    }
  }
  for (const [re, replacement] of PRONOUNS) text = text.replace(re, replacement)
  return capitalize(text)
}
