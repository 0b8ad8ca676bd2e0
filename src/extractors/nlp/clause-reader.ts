/**
 * A message cut into clauses a statement can be read from: code, quotes and block quotes removed,
 * contractions of "I" and "we" expanded, sentences from wink-nlp, then clauses split at
 * punctuation and at conjunctions that start a new subject ("…, and I work at Acme").
 * @internal
 */
import { readTokens, type Token } from './wink-model.js'

/** Longest part of a message that is read; the rest is ignored, so cost stays linear and bounded. */
export const MAX_MESSAGE_CHARS = 8_000
/** Clauses longer than this are run-ons the reader cannot vouch for; they are dropped, never cut. */
export const MAX_CLAUSE_TOKENS = 45

/** One clause of a sentence. */
export interface Clause {
  tokens: Token[]
  /** The clause is the last one of a sentence ending in `?`. */
  question: boolean
  /** Opened by a subordinator ("because", "when", "if"): background, not a statement of its own. */
  subordinate: boolean
  /** Continues the previous clause's subject: "I live in Berlin and work at Acme". */
  inheritsSubject: boolean
}

/** Stands in for removed text, so a clause that quoted something is recognisably incomplete. */
export const REMOVED = 'zzremovedzz'

const CODE_BLOCK = /```[^`]*(?:```|$)/g
const INLINE_CODE = /`[^`\n]{0,500}`/g
const QUOTED = /"[^"\n]{0,500}"|“[^”\n]{0,500}”/g
const BLOCK_QUOTE = /^[ \t]*>.*$/gm
const URL = /\bhttps?:\/\/\S+/g
const REPEATED_SYMBOL = /([^\p{L}\p{N}\s])\1{2,}/gu
const LONG_WORD = /\S{50,}/g
const CONTRACTIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bi'm\b/gi, 'I am'], [/\bim\b(?=\s+(?:a|an|the|so|not|from|in|at|on|really|still|now|just|allergic|vegan|vegetarian|\w+ing)\b)/gi, 'I am'],
  [/\bi've\b/gi, 'I have'], [/\bive\b/gi, 'I have'], [/\bi'll\b/gi, 'I will'], [/\bi'd\b/gi, 'I would'],
  [/\bwe're\b/gi, 'we are'], [/\bwe've\b/gi, 'we have'], [/\bwe'll\b/gi, 'we will'], [/\bwe'd\b/gi, 'we would'],
  [/\bi\b/g, 'I'],
]
// A sentence holding one of these is a hypothetical or a wish as a whole.
const HYPOTHETICAL = new Set(['if', 'unless', 'wish', 'imagine', 'suppose', 'supposing', 'hypothetically', 'whether', 'assuming', 'hopefully', 'maybe', 'perhaps'])
const STRONG_SUBORDINATORS = new Set(['because', 'although', 'though', 'while', 'when', 'whenever', 'whereas', 'cause', 'cuz', 'coz'])
// Also prepositions ("after nights", "since 2010"): a subordinator only before a subject.
const SUBORDINATORS = new Set(['since', 'until', 'once', 'as', 'after', 'before', 'except', 'till'])
const CLAUSE_PUNCT = new Set([',', ';', ':', '—', '–', '--', '(', ')', '...', '…'])
const SUBJECT_START = new Set(['i', 'we', 'my', 'our', 'he', 'she', 'they', 'it', 'you', 'this', 'that', 'there', 'his', 'her', 'their', 'everyone', 'everybody', 'nobody', 'someone', 'people'])
const CONJUNCTIONS = new Set(['and', 'but', 'so', 'or', 'yet', 'plus'])

/** Prepares a message: bounded length, code and quotes replaced, contractions expanded. */
/** Stands for the dot inside a dotted name while the tokenizer runs; `restoreDots` puts it back. */
export const DOT_MARK = 'xdotx'
const DOTTED_NAME = /\b([A-Za-z][\w-]*)\.(?=[a-z]{1,6}\b)([a-z]{1,6})\b/g

/** A statement's text with the dots of dotted names back in place. */
export function restoreDots(text: string): string {
  return text.replaceAll(DOT_MARK, '.')
}

export function cleanMessage(text: string): string {
  let out = text.slice(0, MAX_MESSAGE_CHARS).replace(/[‘’]/g, "'")
  out = out.replace(CODE_BLOCK, ` ${REMOVED}. `).replace(INLINE_CODE, REMOVED).replace(BLOCK_QUOTE, ` ${REMOVED}. `)
  out = out.replace(QUOTED, REMOVED).replace(URL, REMOVED)
  // "Fly.io", "Node.js", "example.com": the tokenizer would end a sentence at the dot.
  out = out.replace(DOTTED_NAME, `$1${DOT_MARK}$2`)
  // Runs of one symbol and endless "words" cost the tokenizer most and say nothing.
  out = out.replace(REPEATED_SYMBOL, '$1').replace(LONG_WORD, REMOVED)
  for (const [pattern, replacement] of CONTRACTIONS) out = out.replace(pattern, replacement)
  return out
}

/** The message's clauses, in order. */
export function readClauses(text: string): Clause[] {
  const clauses: Clause[] = []
  for (const sentence of readTokens(cleanMessage(text))) {
    if (sentence.some((t) => HYPOTHETICAL.has(t.lower))) continue
    const question = sentence.some((t) => t.text.includes('?'))
    const parts = splitSentence(sentence.filter((t) => !(t.pos === 'PUNCT' && /^[.!?]+$/.test(t.text))), question)
    parts.forEach((part, i) => {
      if (part.tokens.length === 0 || part.tokens.length > MAX_CLAUSE_TOKENS) return
      clauses.push({ ...part, question: question && i === parts.length - 1 && !part.beforeQuestion })
    })
  }
  return clauses
}

type Part = Omit<Clause, 'question'> & { beforeQuestion?: boolean }

function splitSentence(tokens: readonly Token[], question: boolean): Part[] {
  // Punctuation first; a piece without a verb is a list item or a lead-in, not a clause.
  const pieces: Token[][] = [[]]
  for (const token of tokens) {
    // A spaced hyphen is a dash; "alt-country" is one word.
    if (token.pos === 'PUNCT' && (CLAUSE_PUNCT.has(token.text) || (token.text === '-' && token.space !== ''))) pieces.push([])
    else pieces[pieces.length - 1]!.push(token)
  }
  const merged: Token[][] = []
  let pending: Token[] = []
  for (const piece of pieces) {
    if (piece.length === 0) continue
    const hasVerb = piece.some((t) => t.pos === 'VERB' || t.pos === 'AUX')
    if (!hasVerb && merged.length === 0) pending = [...pending, ...piece]
    else if (!hasVerb) merged[merged.length - 1]!.push({ ...piece[0]!, space: ',' + piece[0]!.space }, ...piece.slice(1))
    else {
      merged.push([...pending, ...piece])
      pending = []
    }
  }
  if (pending.length > 0) merged.push(pending)
  // "I'm vegetarian, any recipe ideas?": the verbless tail is the question, the statement stands.
  const last = pieces.filter((p) => p.length > 0).at(-1)
  if (question && merged.length > 0 && last !== undefined && !last.some((t) => t.pos === 'VERB' || t.pos === 'AUX')) {
    const head = merged[merged.length - 1]!
    merged[merged.length - 1] = head.slice(0, head.length - last.length)
    return merged.flatMap(splitAtConjunctions).map((p) => ({ ...p, beforeQuestion: true }))
  }
  return merged.flatMap(splitAtConjunctions)
}

function splitAtConjunctions(tokens: Token[]): Part[] {
  const parts: Part[] = []
  let current: Part = { tokens: [], subordinate: false, inheritsSubject: false }
  const flush = (next: Part): void => {
    if (current.tokens.length > 0) parts.push(current)
    current = next
  }
  tokens.forEach((token, i) => {
    const next = tokens[i + 1]
    const hasVerb = current.tokens.some((t) => t.pos === 'VERB' || t.pos === 'AUX')
    const opens = STRONG_SUBORDINATORS.has(token.lower) || (SUBORDINATORS.has(token.lower) && next !== undefined && next.pos === 'PRON')
    if (opens && next !== undefined) {
      flush({ tokens: [], subordinate: true, inheritsSubject: false })
      return
    }
    if (CONJUNCTIONS.has(token.lower) && next !== undefined && hasVerb) {
      const after = tokens[i + 2]
      const namedSubject = next.pos === 'PROPN' && after !== undefined && (after.pos === 'VERB' || after.pos === 'AUX' || after.lower === 'and')
      if (SUBJECT_START.has(next.lower) || namedSubject || next.lower === 'the') {
        flush({ tokens: [], subordinate: false, inheritsSubject: false })
        return
      }
      if (next.pos === 'VERB' && !next.lower.endsWith('ing') && next.lower !== next.lemma && current.tokens[0]?.lower === 'i') {
        flush({ tokens: [], subordinate: false, inheritsSubject: true })
        return
      }
    }
    current.tokens.push(token)
  })
  flush({ tokens: [], subordinate: false, inheritsSubject: false })
  return parts
}
