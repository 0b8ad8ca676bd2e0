/**
 * Reads one clause as a statement the user makes about their own life, and rewrites it in the
 * third person: "On Friday I got great news" → "Got great news on 2026-11-27". Returns null for
 * anything else: questions, wishes, modal and conditional talk, other people's facts, talk about
 * the conversation itself ("I think so", "I appreciate it"), and clauses that would leave a
 * pronoun the fact cannot resolve ("I love it").
 * @internal
 */
import { REMOVED, type Clause } from './clause-reader.js'
import { resolveRelativeDates, type Tense } from './relative-date.js'
import { conjugatePlural, conjugateThirdPerson, OBJECT_PRONOUNS } from './third-person.js'
import type { Token } from './wink-model.js'

/** Who the clause is about. */
export type Subject = 'self' | 'we' | 'possession'

/** A clause read as a statement about the user. */
export interface SelfStatement {
  subject: Subject
  /** For `possession`: what the user's thing is, lowercased ("partner sam", "timezone"). */
  possessed: string | null
  /** Lemma of the main verb: `be`, `have`, `love`, `move`, … */
  verb: string
  /** The words after the verb group, rewritten, without a trailing date phrase. */
  complement: string
  negated: boolean
  tense: Tense
  /** Opened with "actually", "now", "no,", or says "anymore" / "no longer". */
  corrective: boolean
  /** The fact's content: third person, capitalised, no final punctuation. */
  content: string
}

export const MAX_CONTENT_CHARS = 300

const LEAD_WORDS = new Set([
  'so', 'and', 'but', 'well', 'also', 'actually', 'honestly', 'oh', 'yeah', 'yes', 'yep', 'no', 'nope', 'ok', 'okay', 'anyway',
  'anyways', 'btw', 'plus', 'then', 'now', 'lol', 'haha', 'hey', 'hi', 'hello', 'sure', 'um', 'uh', 'hmm', 'wow', 'basically',
  'luckily', 'unfortunately', 'fortunately', 'sadly', 'finally', 'recently', 'lately', 'currently', 'apparently', 'besides',
  'meanwhile', 'still', 'otherwise', 'ps', 'p.s.', 'correction', 'update', 'oops', 'funny', 'enough', 'by', 'way', 'the',
  'ah', 'aha', 'alright', 'right', 'nowadays', 'personally', 'frankly', 'truthfully', 'seriously', 'ugh', 'yay', 'omg', 'man',
  'guess', 'what', 'fyi', 'tbh', 'lately', 'these', 'days', 'also,', 'just', 'today', 'yesterday', 'tonight', 'tomorrow',
])
const CORRECTIVE_LEADS = new Set(['actually', 'now', 'no', 'correction', 'update', 'oops', 'nowadays'])
const TIME_WORDS = new Set([
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'weekend', 'week', 'month', 'year', 'morning',
  'afternoon', 'evening', 'night', 'yesterday', 'today', 'tonight', 'tomorrow', 'january', 'february', 'march', 'april', 'may',
  'june', 'july', 'august', 'september', 'october', 'november', 'december', 'summer', 'winter', 'spring', 'autumn', 'fall',
  'days', 'weeks', 'months', 'years', 'ago', 'christmas', 'easter',
])
const DATE_LEAD = new Set(['on', 'in', 'at', 'last', 'this', 'next', 'over', 'the', 'a', 'few', 'couple', 'of', 'past', 'earlier', 'later', 'early', 'late', 'two', 'three', 'back'])
const MODALS = new Set(['would', 'could', 'should', 'might', 'may', 'must', 'shall', "'d", 'ought'])
// Verbs about the conversation, the user's mind in the moment, or wanting: not facts about their life.
const SKIP_VERBS = new Set([
  'think', 'guess', 'suppose', 'mean', 'wonder', 'hope', 'wish', 'want', 'need', 'know', 'see', 'understand', 'agree',
  'disagree', 'appreciate', 'thank', 'bet', 'believe', 'imagine', 'assume', 'reckon', 'promise', 'ask', 'say', 'tell',
  'mention', 'forget', 'feel', 'get', 'try', 'figure', 'realize', 'realise', 'notice', 'doubt', 'suspect', 'admit', 'swear',
  'hear', 'read', 'check', 'look', 'let', 'consider', 'remember', 'recall', 'ask', 'wanna', 'gotta', 'gonna', 'bother',
  'care', 'mind', 'worry', 'apologize', 'apologise', 'will', 'can', 'do',
])
// Verbs kept despite the skip list when followed by a concrete object ("I got a promotion").
const CONCRETE_WITH_OBJECT = new Set(['get', 'do', 'read', 'try'])
// "I'm glad", "I'm sure": moods and politeness.
const SKIP_COMPLEMENTS = new Set([
  'glad', 'sorry', 'sure', 'fine', 'ok', 'okay', 'good', 'great', 'well', 'here', 'back', 'curious', 'afraid', 'confused',
  'aware', 'thankful', 'grateful', 'ready', 'done', 'right', 'wrong', 'kidding', 'joking', 'listening', 'wondering',
  'thinking', 'trying', 'asking', 'looking', 'happy', 'sad', 'tired', 'bored', 'not', 'so', 'just', 'also', 'still', 'all',
  'going', 'gonna', 'about', 'worried', 'hoping', 'planning', 'considering', 'debating', 'torn', 'unsure', 'new', 'in',
  'on', 'with', 'pretty', 'really', 'very', 'too', 'hungry', 'excited', 'nervous', 'interested', 'open', 'stuck', 'the',
  'a', 'an', 'one', 'like', 'lucky', 'thrilled', 'impressed', 'amazed', 'surprised', 'relieved', 'honored', 'honoured', 'down',
])
const DANGLING = new Set([
  'it', 'its', "it's", 'itself', 'they', 'them', 'their', 'theirs', 'themselves', 'he', 'him', 'his', 'himself', 'she',
  'her', 'hers', 'herself', 'these', 'those', 'there', 'here', 'you', 'your', 'yours', 'yourself', 'u', 'ur', 'ya',
  'such', 'same', 'former', 'latter', 'above', 'below', REMOVED,
])
const DEMONSTRATIVES = new Set(['this', 'that', 'these', 'those'])
const VAGUE_ONLY = new Set([
  'something', 'anything', 'nothing', 'everything', 'stuff', 'things', 'lot', 'lots', 'much', 'more', 'most', 'some', 'all',
  'too', 'so', 'very', 'really', 'well', 'better', 'worse', 'again', 'yet', 'now', 'then', 'a', 'an', 'the', 'to', 'of', 'one',
  'ones', 'bit', 'little', 'kind', 'sort', 'way', 'same', 'thing', 'time', 'times', 'either', 'neither', 'both', 'what', 'how',
  'why', 'when', 'where', 'who', 'which', 'not', "n't", 'never', 'ever', 'always', 'just', 'only', 'even', 'still', 'also',
  'back', 'out', 'up', 'in', 'on', 'at', 'with', 'about', 'for', 'it', 'lol', 'haha', 'stuff', 'sometimes', 'often', 'there',
  'here', 'today', 'tonight', 'people', 'person', 'someone', 'anyone', 'everyone', 'somebody', 'anybody', 'everybody',
])
const TRAILING_FILLER = new Set(['lol', 'haha', 'hahaha', 'though', 'tbh', 'honestly', 'anyway', 'btw', 'xd', 'lmao', 'ha', 'fyi', 'now'])
// A clause ending on one of these was cut off mid-thought; it is dropped rather than stored broken.
const CUT_OFF = new Set(['and', 'but', 'or', 'so', 'as', 'because', 'that', 'which', 'who', 'when', 'the', 'a', 'an', 'my', 'our', 'their', 'especially', 'like', 'than', 'very', 'really', 'is', 'are', 'was', 'has', 'have', 'etc', 'of', 'some'])
const CONTENT_POS = new Set(['NOUN', 'PROPN', 'ADJ', 'NUM', 'VERB'])
// "I'm Mexican" is a nationality, not a name, though the tagger calls it a proper noun.
const DEMONYMS = new Set([
  'mexican', 'american', 'british', 'english', 'irish', 'scottish', 'welsh', 'french', 'german', 'spanish', 'italian', 'polish',
  'indian', 'chinese', 'japanese', 'korean', 'canadian', 'australian', 'brazilian', 'dutch', 'swedish', 'norwegian', 'danish',
  'finnish', 'russian', 'ukrainian', 'turkish', 'greek', 'portuguese', 'nigerian', 'kenyan', 'egyptian', 'pakistani', 'israeli',
  'iranian', 'vietnamese', 'thai', 'filipino', 'argentinian', 'colombian', 'peruvian', 'chilean', 'cuban', 'jamaican', 'swiss',
  'austrian', 'belgian', 'czech', 'hungarian', 'romanian', 'catholic', 'jewish', 'muslim', 'christian', 'hindu', 'buddhist',
])
// What the user is about to do this minute: small talk, not a fact.
const TRANSIENT = /^(?:is|was) (?:going|off|heading) (?:to bed|to sleep|to crawl back into bed|off|out|home)\b|^(?:is|was) (?:going to )?(?:take a nap|grab (?:a|some) (?:coffee|lunch|food))\b/i
// Verbs the web model often tags as plural nouns after "my brother": "lives", "hurts".
const THIRD_PERSON_VERBS = new Set(['is', 'was', 'lives', 'works', 'loves', 'hates', 'likes', 'plays', 'has', 'hurts', 'says', 'thinks', 'wants', 'needs', 'teaches', 'studies', 'runs', 'owns', 'makes', 'goes', 'comes', 'cooks', 'drives'])
// "My week is full", "my head hurts": how things are going today.
const MOOD_POSSESSIONS = new Set(['week', 'day', 'time', 'life', 'head', 'brain', 'mind', 'weekend', 'morning', 'evening', 'night', 'bad'])
const EMOJI = /\p{Extended_Pictographic}/u
const VAGUE_HEADS = new Set(['thing', 'things', 'stuff', 'one', 'ones', 'bit', 'lot', 'way'])

/** Reads a clause as a self-statement; `inherited` carries "I" into "…and moved to Oslo". */
export function readSelfStatements(clause: Clause, at: Date | undefined): SelfStatement[] {
  const read = readSelfStatement(clause, at)
  return read === null ? [] : Array.isArray(read) ? read : [read]
}

function readSelfStatement(clause: Clause, at: Date | undefined): SelfStatement | SelfStatement[] | null {
  if (clause.question || clause.subordinate) return null
  let tokens = clause.tokens.filter((t) => !EMOJI.test(t.text))
  if (tokens.some((t) => t.lower === REMOVED || t.lower === 'you' || t.lower === 'your' || t.lower === 'u')) return null

  let corrective = false
  let datePhrase: Token[] = []
  // Lead-ins: discourse words and a leading time phrase ("On Friday", "Last week").
  for (let guard = 0; guard < 12 && tokens.length > 0; guard++) {
    const first = tokens[0]!
    const date = leadingDate(tokens)
    if (date > 0) {
      datePhrase = tokens.slice(0, date)
      tokens = tokens.slice(date)
      continue
    }
    if (first.pos === 'INTJ' || first.pos === 'PUNCT' || LEAD_WORDS.has(first.lower)) {
      if (first.lower === 'i' || first.lower === 'we' || first.lower === 'my') break
      if (CORRECTIVE_LEADS.has(first.lower)) corrective = true
      tokens = tokens.slice(1)
      continue
    }
    break
  }
  if (clause.inheritsSubject) tokens = [{ text: 'I', lower: 'i', pos: 'PRON', lemma: 'i', space: '' }, ...tokens]
  if (tokens.length < 2) return null

  const callMe = readCallMe(tokens)
  if (callMe !== null) return callMe

  let subject: Subject
  let possessed: string | null = null
  let rest: Token[]
  const first = tokens[0]!
  if (first.lower === 'i') {
    subject = 'self'
    rest = tokens.slice(1)
  } else if (first.lower === 'we') {
    subject = 'we'
    rest = tokens.slice(1)
  } else if (first.lower === 'my') {
    let end = 1
    while (end < tokens.length && end <= 5 && ['NOUN', 'PROPN', 'ADJ'].includes(tokens[end]!.pos) && !THIRD_PERSON_VERBS.has(tokens[end]!.lower)) end++
    if (end === 1 || end >= tokens.length) return null
    const verb = tokens[end]!
    if (THIRD_PERSON_VERBS.has(verb.lower) && verb.pos === 'NOUN') tokens[end] = { ...verb, pos: 'VERB', lemma: verb.lower.replace(/ies$/, 'y').replace(/(?:ch|sh|o)es$/, (m) => m.slice(0, -2)).replace(/s$/, '') }
    if (verb.pos !== 'VERB' && verb.pos !== 'AUX' && tokens[end]!.pos !== 'VERB') return null
    subject = 'possession'
    possessed = tokens.slice(1, end).map((t) => t.text).join(' ').toLowerCase()
    rest = tokens.slice(end)
    if (tokens.slice(1, end).some((t) => DANGLING.has(t.lower)) || MOOD_POSSESSIONS.has(possessed)) return null
  } else return null

  // Adverbs before the verb stay with it: "I finally moved", "I never eat".
  let v = 0
  while (v < rest.length && (rest[v]!.pos === 'ADV' || rest[v]!.pos === 'PART' || (rest[v]!.lower === 'no' && rest[v + 1]?.lower === 'longer')) && v < 3) v++
  const verbToken = rest[v]
  if (verbToken === undefined || (verbToken.pos !== 'AUX' && verbToken.pos !== 'VERB')) return null
  if (MODALS.has(verbToken.lower)) return null

  // The verb group: auxiliaries, negation and the main verb.
  let g = v
  let negated = false
  let future = false
  let mainVerb = verbToken
  while (g < rest.length && ['AUX', 'VERB', 'PART', 'ADV'].includes(rest[g]!.pos) && g < v + 5) {
    const t = rest[g]!
    if (t.lemma === 'not' || t.lower === 'never' || t.lower === 'no') negated = true
    if (t.lower === 'will' || t.lower === "'ll" || (t.lower === 'going' && rest[g + 1]?.lower === 'to')) future = true
    if (t.pos === 'VERB') {
      mainVerb = t
      g++
      break
    }
    if (t.pos === 'ADV' && !['not', 'never', 'really', 'also', 'just', 'finally', 'still', 'now', 'already', 'recently', 'actually', 'always', 'usually', 'definitely', 'absolutely', 'totally', 'even', 'only', 'currently', 'officially'].includes(t.lower)) break
    g++
  }
  const complementTokens = rest.slice(g)
  const lemma = mainVerb.lemma
  const hasObject = complementTokens.some((t) => t.pos === 'NOUN' || t.pos === 'PROPN' || t.pos === 'NUM')
  if (SKIP_VERBS.has(lemma) && !(CONCRETE_WITH_OBJECT.has(lemma) && hasObject && mainVerb.pos === 'VERB')) {
    if (!(lemma === 'will' || lemma === 'can' || lemma === 'do')) return null
  }
  if (lemma === 'be') {
    const head = complementTokens.find((t) => t.pos !== 'ADV' && t.pos !== 'PART')
    if (head === undefined) return null
    const afraidOf = head.lower === 'afraid' && complementTokens[complementTokens.indexOf(head) + 1]?.lower === 'of'
    if (SKIP_COMPLEMENTS.has(head.lower) && !afraidOf && !(head.lower === 'in' || head.lower === 'on' || head.lower === 'from' || head.lower === 'a' || head.lower === 'an' || head.lower === 'the' || head.lower === 'new')) return null
    if ((head.lower === 'a' || head.lower === 'an' || head.lower === 'the' || head.lower === 'new') && SKIP_COMPLEMENTS.has(complementTokens[complementTokens.indexOf(head) + 1]?.lower ?? '')) return null
    if (head.lower === 'going' || head.lower === 'trying' || head.lower === 'looking' || head.lower === 'thinking' || head.lower === 'wondering') return null
  }
  if (subject === 'we' && complementTokens.some((t) => t.lower === 'our' && false)) return null

  // Dangling references: a pronoun or demonstrative the fact cannot resolve.
  const body = rest
  for (let i = 0; i < body.length; i++) {
    const t = body[i]!
    if (DANGLING.has(t.lower)) return null
    if (DEMONSTRATIVES.has(t.lower)) {
      const next = body[i + 1]
      const previous = body[i - 1]
      const timeRef = next !== undefined && TIME_WORDS.has(next.lower)
      // "the program that I applied for", "found out that I passed": not a pointer back.
      const relative = t.lower === 'that' && next !== undefined && next.pos !== 'PUNCT' &&
        ((previous !== undefined && ['NOUN', 'PROPN', 'ADJ'].includes(previous.pos)) || next.pos === 'PRON' || (t.pos === 'SCONJ' && next.pos !== 'NOUN' && next.pos !== 'ADJ'))
      if (!timeRef && !relative) return null
    }
  }
  const meaningful = complementTokens.filter((t) => (CONTENT_POS.has(t.pos) || (t.pos === 'SYM' && /\w/.test(t.text))) && !VAGUE_ONLY.has(t.lower))
  const verbCarries = mainVerb.pos === 'VERB' && !SKIP_VERBS.has(lemma)
  // "I can't swim", "I've never smoked": the verb carries the fact.
  if (meaningful.length === 0 && !(verbCarries && complementTokens.length === 0 && negated)) return null

  // "I'm Priya", "I'm Marcus, CTO of Ledgerly": a capitalised name after "I am", maybe with an apposition.
  if (subject === 'self' && verbToken.lemma === 'be' && g === v + 1) {
    let n = 0
    while (n < complementTokens.length && n < 3 && complementTokens[n]!.pos === 'PROPN' && /^\p{Lu}\p{Ll}+$/u.test(complementTokens[n]!.text) && !DEMONYMS.has(complementTokens[n]!.lower)) n++
    const after = complementTokens[n]
    if (n > 0 && (after === undefined || after.space.startsWith(','))) {
      const value = complementTokens.slice(0, n).map((t) => t.text).join(' ')
      const name: SelfStatement = { subject, possessed: null, verb: 'name', complement: value, negated: false, tense: 'present', corrective, content: `Name is ${value}` }
      if (after === undefined) return name
      const apposition = render(complementTokens.slice(n), 'self').replace(/^,\s*/, '')
      const trimmed = trimJunk(apposition)
      if (trimmed === null || trimmed.split(' ').length < 2 || trimmed.length > MAX_CONTENT_CHARS) return name
      return [name, { subject, possessed: null, verb: 'be', complement: trimmed, negated: false, tense: 'present', corrective, content: `Is ${trimmed}` }]
    }
  }
  if (subject === 'we' && verbToken.lemma === 'be' && mainVerb === verbToken) return null
  if (verbToken.lemma === 'have' && rest[v + 1]?.lower === 'to') return null
  if (lemma === 'find' && complementTokens[0]?.lower === 'out') return null
  if (VAGUE_HEADS.has(complementTokens.at(-1)?.lower ?? '')) return null
  const lastNoun = [...complementTokens].reverse().find((t) => t.pos === 'NOUN' || t.pos === 'PROPN')
  if (lastNoun !== undefined && VAGUE_HEADS.has(lastNoun.lower) && complementTokens.filter((t) => t.pos === 'NOUN' || t.pos === 'PROPN').length === 1) return null
  const tense: Tense = future ? 'future' : verbToken.lower !== verbToken.lemma && !['am', 'is', 'are', 'has', "'m", "'re", "'ve", 'ca', 'wo', 'have'].includes(verbToken.lower) ? 'past' : 'present'
  if (tokens.some((t) => t.lower === 'anymore' || t.lower === 'longer')) corrective = true

  let text = render(body, subject, v)
  if (subject === 'possession' && possessed !== null) text = `${tokens.slice(1, tokens.indexOf(rest[0]!)).map((t) => t.text).join(' ')} ${text}`
  const trimmed = trimJunk(text)
  if (trimmed === null) return null
  text = trimmed
  if (datePhrase.length > 0) text = `${text.replace(/[.,;:!?]+$/, '')} ${datePhrase.map((t, i) => (i === 0 ? t.lower === 'on' || t.lower === 'in' ? t.lower : t.text : t.text)).join(' ')}`
  text = resolveRelativeDates(text, at, tense)
  text = text.replace(/\s+/g, ' ').replace(/\s+([,.;:!?])/g, '$1').replace(/^\s+|[\s,.;:!—–-]+$/g, '')
  if (text.length === 0 || text.length > MAX_CONTENT_CHARS || text.split(' ').length < 2) return null
  if (/[(\[{]/.test(text) && !/[)\]}]/.test(text)) return null
  if (TRANSIENT.test(text)) return null
  const content = text.charAt(0).toUpperCase() + text.slice(1)
  return {
    subject,
    possessed,
    verb: lemma,
    complement: complementTokens.map((t) => t.text).join(' '),
    negated,
    tense,
    corrective,
    content,
  }
}

/** Number of tokens of a leading time phrase ("On Friday", "Last week", "In 2010", "Yesterday"), or 0. */
function leadingDate(tokens: readonly Token[]): number {
  for (let i = 0; i < Math.min(tokens.length, 5); i++) {
    const t = tokens[i]!
    if (TIME_WORDS.has(t.lower) || (t.pos === 'NUM' && /^(?:19|20)\d\d$/.test(t.text) && i > 0)) {
      const after = tokens[i + 1]
      if (after !== undefined && TIME_WORDS.has(after.lower)) continue
      return i + 1
    }
    if (!DATE_LEAD.has(t.lower) && !(t.pos === 'NUM')) return 0
  }
  return 0
}

function readCallMe(tokens: readonly Token[]): SelfStatement | null {
  const [a, b, ...name] = tokens
  if (a?.lower !== 'call' || b?.lower !== 'me' || name.length === 0 || name.length > 3) return null
  if (!name.every((t) => /^\p{Lu}[\p{L}'-]*$/u.test(t.text))) return null
  const value = name.map((t) => t.text).join(' ')
  return { subject: 'self', possessed: null, verb: 'call', complement: value, negated: false, tense: 'present', corrective: false, content: `Goes by ${value}` }
}

/** Tokens as typed, with the verb at `verbAt` conjugated and the user's pronouns in the third person. */
function render(body: readonly Token[], subject: Subject, verbAt = -1): string {
  const rendered: string[] = []
  body.forEach((t, i) => {
    let word = t.text
    if (i === verbAt && subject !== 'possession') word = subject === 'we' && t.lower === 'are' ? 'is' : conjugateThirdPerson(t.text, t.lemma)
    else if (t.lemma === 'not' && t.pos === 'PART' && !/^not$/i.test(t.text)) word = "n't"
    else if (t.lower === 'i') word = 'they'
    else if (body[i - 1]?.lower === 'i') word = conjugatePlural(t.text)
    // Beside another subject ("Sister cheered me on") "them" would be ambiguous.
    else if (subject === 'possession' && (t.lower === 'me' || t.lower === 'my')) word = t.lower === 'me' ? 'the user' : "the user's"
    else if (OBJECT_PRONOUNS[t.lower] !== undefined) word = OBJECT_PRONOUNS[t.lower]!
    else if (t.lower === 'we') word = 'they'
    rendered.push((i === 0 ? '' : word === "n't" ? '' : t.space) + word)
  })
  return rendered.join('')
}

function trimJunk(text: string): string | null {
  let words = text.trim().split(/\s+/)
  const last = (): string => (words[words.length - 1] ?? '').toLowerCase().replace(/[^\p{L}']/gu, '')
  while (words.length > 0 && TRAILING_FILLER.has(last())) words = words.slice(0, -1)
  return CUT_OFF.has(last()) ? null : words.join(' ')
}
