/**
 * Turns a message into the clauses the rules look at: code, quotes and block quotes removed,
 * split into sentences and then into clauses, with questions, conditionals and hypotheticals
 * dropped and discourse lead-ins ("oh, and", "actually,") stripped.
 * @internal
 */
import { addressesSomeone, isInstructionLike } from '../instruction-like.js'

/** A stretch of text a rule may match from its start. */
export interface Clause {
  text: string
  /** The speaker signalled a correction: "actually", "wait", "no longer", "anymore", "now". */
  corrective: boolean
}

/** A sentence the user asked us to remember: its remaining text, already past the trigger. */
export interface NoteSentence {
  type: 'note'
  inner: string
  corrective: boolean
}

/** An ordinary sentence, as clauses. */
export interface PlainSentence {
  type: 'plain'
  clauses: Clause[]
}

/** Stands in for removed quoted text, so a clause that leaned on a quote is dropped whole. */
const QUOTE_MARK = '\u0001'
// Text inside these never speaks for the user: someone else's words, or code. Every pass is
// linear: quotes whose opener differs from their closer are found by a scan (see `removeSpans`),
// because a regex retried from each of many unclosed openers goes quadratic.
const QUOTED: ReadonlyArray<(text: string) => string> = [
  (t) => t.replace(/```[\s\S]*?(?:```|$)/g, ` ${QUOTE_MARK} `),
  (t) => t.replace(/`[^`\n]*`/g, ` ${QUOTE_MARK} `),
  // Horizontal whitespace only: `\s*` would run across blank lines from every line start.
  (t) => t.replace(/^[^\S\n\r\u2028\u2029]*>.*$/gm, ` ${QUOTE_MARK} `),
  (t) => t.replace(/"[^"\n]*(?:"|$)/g, ` ${QUOTE_MARK} `),
  (t) => removeSpans(t, '“', '”', true),
  (t) => removeSpans(t, '«', '»', true),
  (t) => removeSpans(t, '‘', '’', false, (text, at) => !/\p{L}/u.test(String.fromCodePoint(text.codePointAt(at + 1) ?? 32))),
  (t) => t.replace(/(?<=^|[\s([])'[^'\n]+'(?=$|[\s.,;:!?)\]])/g, ` ${QUOTE_MARK} `),
]
const ABBREVIATION = /\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|vs|etc|e\.g|i\.e|approx|Inc|Ltd|Co|Corp|Mt|No)\./gi
const PROTECTED_DOT = '\u0002'

const LEAD_INS = [
  'oh', 'ok', 'okay', 'well', 'so', 'also', 'and', 'but', 'btw', 'by the way', 'fyi', 'hey', 'hi',
  'hello', 'hiya', 'yo', 'um', 'uh', 'hmm', 'yeah', 'yes', 'yep', 'right', 'anyway', 'anyways',
  'just so you know', 'for context', 'for the record', 'in fact', 'honestly', 'basically', 'plus',
  'good morning', 'good evening', 'great', 'cool', 'thanks', 'thank you', 'there',
]
const CORRECTIVE_LEAD_INS = [
  'actually', 'wait', 'sorry', 'oops', 'correction', 'update', 'scratch that', 'no', 'nope',
  'i mean', 'not anymore', 'these days', 'now',
]
const LEAD_IN_RE = new RegExp(`^(?:${LEAD_INS.join('|').replace(/ /g, '\\s+')})(?:\\b[\\s,:!.-]*|$)`, 'i')
// "no" and "i mean" count only when punctuated, so "no longer" and "I meant" stay intact.
const CORRECTIVE_RE = new RegExp(
  `^(?:${CORRECTIVE_LEAD_INS.map((w) => (w === 'no' || w === 'nope' || w === 'i mean' ? `${w}[,!.:-]` : `${w}\\b`)).join('|').replace(/ /g, '\\s+')})[\\s,:!.-]*`,
  'i',
)
const CORRECTIVE_WORDS = /\b(?:actually|anymore|any more|no longer|instead|now|these days)\b/i

const QUESTION_START = /^(?:do|does|did|should|shall|would|could|can|will|is|are|am|was|were|have|has|where|what|when|why|how|who|whom|whose|which|isn't|aren't|don't|doesn't|shouldn't)\b/i
const HYPOTHETICAL_START = /^(?:if|when|whenever|unless|suppose|supposing|imagine|assuming|hypothetically|maybe|perhaps|let's say|say|in case|what if|once)\b/i
// Anywhere in a clause these make the statement conditional or not the user's own.
const HYPOTHETICAL_WORD = /\b(?:if|unless|suppose|supposing|imagine|hypothetically|pretend|wish|wished|whether|assuming)\b/i

const NOTE_TRIGGER = /^(?:please\s+|pls\s+|also\s+|and\s+)?(?:remember|note|keep in mind|don't forget|do not forget|make a note|take note|never forget)\b\s*[:,-]?\s*(?:(?:that|this)\b\s*[:,-]?\s*)?(?!to\b|when\b|me\b|what\b|how\b|that\b|this\b)(?=\S)/i

const FIRST_PERSON_START = "(?:i|i'm|i am|i've|i'll|my|we|we're|we've|we'll|our|call me|actually)\\b"
const CLAUSE_BREAK = new RegExp(
  [
    `\\s*(?:[,;:]|\\s[-–—]\\s)\\s*(?:(?:and|but|so|plus|also|though|although|while|whereas|because|since)\\s+)?(?=${FIRST_PERSON_START})`,
    `\\s+(?:and|but|so|plus|though|although|while|whereas|because|since)\\s+(?=${FIRST_PERSON_START})`,
  ].join('|'),
  'i',
)

/** Strips discourse lead-ins, reporting whether any of them signalled a correction. */
export function stripLeadIns(text: string): { text: string; corrective: boolean } {
  let rest = text.trim()
  let corrective = false
  for (;;) {
    const c = CORRECTIVE_RE.exec(rest)
    if (c !== null && c[0] !== '') {
      corrective = true
      rest = rest.slice(c[0].length)
      continue
    }
    const l = LEAD_IN_RE.exec(rest)
    if (l !== null && l[0] !== '' && l[0].length < rest.length) {
      rest = rest.slice(l[0].length)
      continue
    }
    return { text: rest.trim(), corrective }
  }
}

function removeQuoted(text: string): string {
  let out = text.replace(/[’]/g, (m, offset: number) => {
    // A right single quote between letters is an apostrophe; elsewhere it may close a quote.
    const before = text.charAt(offset - 1)
    const after = text.charAt(offset + 1)
    return /\p{L}/u.test(before) && /\p{L}/u.test(after) ? "'" : m
  })
  for (const remove of QUOTED) out = remove(out)
  return out
}

/**
 * Replaces each span from `open` to the first `close` on the same line (one `closes` accepts) with
 * the quote mark; with `toEnd`, an opener on the last line with no closer runs to the end of the
 * text. Same result as `/“[^”\n]*(?:”|$)/g`, in one pass: when an opener finds no closer before
 * the line ends, no later opener on that line can, so the scan resumes after the line break.
 */
function removeSpans(text: string, open: string, close: string, toEnd: boolean, closes: (text: string, at: number) => boolean = () => true): string {
  let out = ''
  let copied = 0
  let at = text.indexOf(open)
  while (at !== -1) {
    let end = -1
    let j = at + 1
    for (; j < text.length; j++) {
      const c = text.charAt(j)
      if (c === '\n') break
      if (c === close && closes(text, j)) {
        end = j + 1
        break
      }
    }
    if (end === -1 && j >= text.length && toEnd) end = text.length
    if (end === -1) {
      at = j >= text.length ? -1 : text.indexOf(open, j)
      continue
    }
    out += `${text.slice(copied, at)} ${QUOTE_MARK} `
    copied = end
    at = text.indexOf(open, end)
  }
  return out + text.slice(copied)
}

function splitSentences(text: string): string[] {
  return text
    .replace(ABBREVIATION, `$1${PROTECTED_DOT}`)
    .split(/\n+|(?<=[.!?…])\s+|;\s+/)
    .map((s) => s.replaceAll(PROTECTED_DOT, '.').replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').replace(/\s+/g, ' ').trim())
    .filter((s) => s !== '')
}

function isDropped(text: string): boolean {
  return text.includes(QUOTE_MARK) || QUESTION_START.test(text) || HYPOTHETICAL_START.test(text) || HYPOTHETICAL_WORD.test(text)
}

/**
 * Longest clause the rules read; a longer one is cut at a word break first. Every rule needs its
 * subject and verb within the first few words and keeps an object of at most a few words, so
 * nothing a rule can use lies past this, and the cut bounds each rule's regex work.
 */
export const MAX_CLAUSE_CHARS = 1_000

/** Splits one sentence into clauses, dropping those that ask, suppose or quote. */
export function splitClauses(sentence: string, inheritedCorrective = false): Clause[] {
  const clauses: Clause[] = []
  for (const part of sentence.split(CLAUSE_BREAK)) {
    const { text, corrective } = stripLeadIns(truncateAtWord(part, MAX_CLAUSE_CHARS))
    if (text === '' || isDropped(text)) continue
    clauses.push({ text, corrective: inheritedCorrective || corrective || CORRECTIVE_WORDS.test(text) })
  }
  return clauses
}

/**
 * `text` cut to at most `max` characters: at the last whitespace when it lies in the last tenth of
 * the cut (no word is split), else right at `max` (a run of punctuation or one long token).
 */
export function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text
  const cut = text.slice(0, max)
  const space = cut.search(/\s\S*$/)
  return space >= max - Math.ceil(max / 10) ? cut.slice(0, space) : cut
}

/**
 * Splits a message into sentences the rules can read. Questions (a `?` anywhere in the sentence,
 * or a leading auxiliary or wh-word), sentences opening with a conditional, and sentences that
 * read as an instruction to the assistant (`isInstructionLike`) are dropped whole; so is a
 * "remember …" sentence that addresses someone ("Remember, you should …").
 */
export function readSentences(message: string): Array<NoteSentence | PlainSentence> {
  const out: Array<NoteSentence | PlainSentence> = []
  for (const raw of splitSentences(removeQuoted(message))) {
    if (raw.includes('?')) continue
    const { text, corrective } = stripLeadIns(raw)
    if (text === '' || QUESTION_START.test(text) || HYPOTHETICAL_START.test(text)) continue
    const note = NOTE_TRIGGER.exec(text)
    if (note !== null) {
      const inner = text.slice(note[0].length).trim()
      // "Remember, you should …" is advice to someone else; "remember that the assistant must …" an order.
      if (inner !== '' && !inner.includes(QUOTE_MARK) && !isInstructionLike(inner) && !addressesSomeone(inner)) {
        out.push({ type: 'note', inner, corrective })
      }
      continue
    }
    if (isInstructionLike(text)) continue
    out.push({ type: 'plain', clauses: splitClauses(text, corrective) })
  }
  return out
}
