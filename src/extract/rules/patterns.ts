/**
 * The statement rules. Each is anchored at the start of a clause whose subject is the user ("I",
 * "my", "we"), which is what keeps other people's facts, reported speech and most chit-chat out.
 * The first rule that matches a clause wins.
 * @internal
 */
import { decisionDomain } from './decision-domains.js'
import { capitalize, cleanObject, isDateLike, keyFor, slugify, trimPunctuation } from './phrases.js'

/** What a rule read from one clause, before batch-level reconciliation. */
export interface RuleMatch {
  kind: string
  key: string | null
  content: string
  /** The captured thing, as typed; "I meant X" swaps it out. */
  object: string
  confidence: number
  /** The statement replaces whatever the slot held ("I moved to Oslo"). */
  replaces?: boolean
  /** Content prefix an earlier keyless fact for the same slot starts with, e.g. `lives in `. */
  slotPrefix?: string
  /** A "no longer X" statement: it ends the slot's value only if that value mentions the object. */
  retracts?: boolean
}

type Rule = (clause: string) => RuleMatch[] | null

const ADV = "(?:(?:really|actually|currently|now|still|also|just|absolutely|totally|definitely|honestly|genuinely|truly|kind of|kinda|sort of|do|much|recently|finally|already|mostly|usually|personally)\\s+)*"
const IM = "i(?:'m|\\s+am)"
const NOT = "(?:don't|do\\s+not|dont)"

function re(source: string): RegExp {
  return new RegExp(`^${source.replaceAll('{ADV}', ADV).replaceAll('{IM}', IM).replaceAll('{NOT}', NOT)}`, 'iu')
}

const ANYMORE = /\b(?:anymore|any more)\b/i
const PLACE_STOPS = ['with', 'for', 'and', 'near', 'ago', 'last', 'this', 'next', 'at', 'when', 'where', 'until', 'since', 'after', 'on']
const OPINION_STOPS = ['when', 'more than', 'better than', 'a lot', 'very much', 'so much', 'most', 'anyway', 'and i', 'and my']

// Objects that make a "like/love" sentence chit-chat about the conversation, not a preference.
const VAGUE_OBJECT = /^(?:it|this|that|these|those|them|you|him|her|how|what|when|where|why|who|your|the way|the idea|here|there|when|such|so|some of|all of|one|ones|to think|to say|being here)\b/i

const NOT_NAMES = new Set([
  'a', 'an', 'the', 'in', 'at', 'on', 'from', 'not', 'so', 'very', 'here', 'there', 'back', 'home', 'fine',
  'good', 'great', 'well', 'ok', 'okay', 'sure', 'sorry', 'done', 'ready', 'happy', 'sad', 'tired', 'busy',
  'free', 'new', 'just', 'also', 'still', 'really', 'glad', 'excited', 'curious', 'confused', 'lost',
  'stuck', 'hungry', 'late', 'afraid', 'interested', 'all', 'alone', 'online', 'available', 'bored',
  'right', 'wrong', 'serious', 'kidding', 'joking', 'into', 'over', 'out', 'up', 'down', 'off', 'your',
  'his', 'her', 'their', 'no', 'yes', 'human', 'retired', 'married', 'single', 'vegan', 'vegetarian',
  'english', 'german', 'french', 'british', 'american', 'canadian', 'spanish', 'italian', 'dutch',
  'swedish', 'norwegian', 'danish', 'finnish', 'polish', 'russian', 'chinese', 'japanese', 'korean',
  'indian', 'brazilian', 'mexican', 'irish', 'scottish', 'australian', 'swiss', 'austrian',
  'portuguese', 'greek', 'turkish', 'ukrainian', 'czech', 'hungarian', 'jewish', 'muslim', 'catholic',
  'hindu', 'buddhist', 'atheist', 'new', 'old', 'young', 'sick', 'ill', 'cold', 'hot', 'on', 'only',
  'almost', 'nearly', 'about', 'with', 'like', 'always', 'never', 'sure', 'certain', 'positive',
  'thinking', 'going', 'trying', 'looking', 'working', 'learning', 'using', 'building', 'writing',
])

const JOB_NOUNS = new Set([
  'engineer', 'developer', 'dev', 'programmer', 'coder', 'designer', 'manager', 'nurse', 'doctor',
  'teacher', 'lawyer', 'accountant', 'consultant', 'analyst', 'scientist', 'architect', 'student',
  'researcher', 'writer', 'editor', 'journalist', 'artist', 'chef', 'cook', 'pilot', 'driver', 'farmer',
  'firefighter', 'officer', 'professor', 'lecturer', 'librarian', 'surgeon', 'physician', 'paramedic',
  'electrician', 'plumber', 'carpenter', 'mechanic', 'technician', 'administrator', 'admin', 'founder',
  'cofounder', 'co-founder', 'ceo', 'cto', 'cfo', 'coo', 'vp', 'director', 'lead', 'intern',
  'freelancer', 'contractor', 'owner', 'marketer', 'recruiter', 'salesperson', 'clerk', 'cashier',
  'barista', 'waiter', 'waitress', 'bartender', 'musician', 'photographer', 'translator', 'tutor',
  'coach', 'trainer', 'veterinarian', 'vet', 'sre', 'devops', 'tester', 'specialist', 'coordinator',
  'secretary', 'receptionist', 'banker', 'trader', 'economist', 'entrepreneur', 'investor', 'realtor',
  'attorney', 'paralegal', 'judge', 'soldier', 'detective', 'nanny', 'caregiver', 'midwife',
  'counselor', 'counsellor', 'worker', 'maintainer', 'pm', 'mathematician', 'statistician', 'professional',
])
const JOB_SUFFIX = /(?:ist|ician|eer|ologist|grapher)$/i

const EMPLOYER_REJECT = /^(?:home|night|nights|weekends?|the moment|times|work|myself|my own|it|this|that|the same)\b/i
const ENVIRONMENT = /^(?:prod|production|staging|dev|development|test|main|master|live)$/i

// The rules run with the `i` flag, under which \\p{Lu} matches any letter, so capitals are checked here.
function capitalized(text: string | undefined): text is string {
  return text !== undefined && /^\p{Lu}/u.test(text)
}

function one(match: RuleMatch): RuleMatch[] {
  return [match]
}

function nameTokens(raw: string): string | null {
  const words: string[] = []
  for (const word of trimPunctuation(raw).split(/\s+/)) {
    const clean = trimPunctuation(word)
    if (/^(?:and|but|by|btw|from|though|not|or|please|thanks|lol|haha|now|too|here|instead)$/i.test(clean)) break
    if (!/^\p{L}[\p{L}'.-]*$/u.test(clean)) return null
    words.push(clean)
    if (word !== clean && /[,;]$/.test(word)) break
  }
  if (words.length === 0 || words.length > 4 || NOT_NAMES.has((words[0] ?? '').toLowerCase())) return null
  return words.join(' ')
}

function nameMatch(name: string, confidence: number): RuleMatch[] {
  return one({ kind: 'name', key: 'name', content: `Name is ${name}`, object: name, confidence, replaces: true, slotPrefix: 'name is ' })
}

const nameRules: Rule[] = [
  (c) => {
    // A lowercase name is accepted after "my name is" only: "call me back" is not a name.
    const m =
      re("(?:my\\s+name\\s+is|my\\s+name's)\\s+(.+)").exec(c) ??
      re("(?:(?:you\\s+can\\s+|please\\s+|just\\s+)?call\\s+me|i\\s+go\\s+by|{IM}\\s+called)\\s+(.+)").exec(c)
    if (m?.[1] === undefined || (!/^my/i.test(c) && !capitalized(m[1]))) return null
    const name = nameTokens(m[1])
    return name === null ? null : nameMatch(name, 0.9)
  },
  (c) => {
    // "I'm Ada" only when every word after it is a capitalised name word and nothing follows.
    const m = re('{IM}\\s+(\\p{L}[\\p{L}\'-]*(?:\\s+\\p{L}[\\p{L}\'-]*){0,2})[.!]?$').exec(c)
    if (m?.[1] === undefined || !m[1].split(/\\s+/).every(capitalized)) return null
    const name = nameTokens(m[1])
    if (name === null || /ing$/i.test(name.split(' ')[0] ?? '')) return null
    return nameMatch(name, 0.7)
  },
]

function place(raw: string | undefined): string | null {
  return raw === undefined ? null : cleanObject(raw, PLACE_STOPS, 5)
}

function lives(raw: string | undefined, confidence: number, replaces: boolean): RuleMatch[] | null {
  const where = place(raw)
  if (where === null) return null
  return one({ kind: 'location', key: 'home_location', content: `Lives in ${where}`, object: where, confidence, replaces, slotPrefix: 'lives in ' })
}

const locationRules: Rule[] = [
  (c) => lives(re('i\\s+{ADV}(?:live|reside)\\s+in\\s+(.+)').exec(c)?.[1], 0.9, false),
  (c) => lives(re('{IM}\\s+{ADV}(?:based|located|living|settled)\\s+in\\s+(.+)').exec(c)?.[1], 0.9, false),
  (c) => lives(re("i(?:'ve|\\s+have)?\\s+{ADV}(?:moved|relocated)\\s+to\\s+(.+)").exec(c)?.[1], 0.9, true),
  (c) => {
    const m = re(`(?:i\\s+{ADV}no\\s+longer\\s+live\\s+in|i\\s+{NOT}\\s+live\\s+in|{IM}\\s+no\\s+longer\\s+(?:based|living|located)\\s+in)\\s+(.+)`).exec(c)
    if (m?.[1] === undefined || (!/no\s+longer/i.test(c) && !ANYMORE.test(c))) return null
    const where = place(m[1])
    if (where === null) return null
    return one({ kind: 'location', key: 'home_location', content: `No longer lives in ${where}`, object: where, confidence: 0.8, retracts: true, slotPrefix: 'lives in ' })
  },
  (c) => {
    const m = re(`(?:{IM}\\s+(?:originally\\s+)?from|i\\s+(?:originally\\s+)?come\\s+from)\\s+(.+)`).exec(c)
    const where = capitalized(m?.[1]) ? place(m[1]) : null
    if (where === null) return null
    return one({ kind: 'location', key: 'origin', content: `Is from ${where}`, object: where, confidence: 0.7, slotPrefix: 'is from ' })
  },
]

function employerMatch(raw: string, confidence: number, replaces: boolean): RuleMatch | null {
  const employer = cleanObject(raw, ['as', 'in', 'since', 'for', 'and', 'on', 'doing', 'where', 'from'], 6)
  if (employer === null || EMPLOYER_REJECT.test(employer)) return null
  return { kind: 'work', key: 'employer', content: `Works at ${employer}`, object: employer, confidence, replaces, slotPrefix: 'works at ' }
}

/** Splits "a data engineer at Acme" into the job and, when present, the employer. */
function jobAndEmployer(raw: string, verb: 'Works as' | 'Is', confidence: number, requireJobNoun: boolean): RuleMatch[] | null {
  const [jobPart = '', employerPart] = raw.split(/\s+(?:at|for|with)\s+/i, 2)
  const article = /^(an?|the)\s+/i.exec(jobPart)
  const job = cleanObject(jobPart.slice(article?.[0].length ?? 0), ['in', 'since', 'from', 'and', 'by', 'who', 'but'], 5)
  if (job === null) return null
  const head = (job.split(/\s+/).pop() ?? '').toLowerCase()
  if (requireJobNoun && !JOB_NOUNS.has(head) && !JOB_SUFFIX.test(head)) return null
  const withArticle = article === null ? job : `${article[1]} ${job}`
  const out: RuleMatch[] = [
    { kind: 'work', key: 'job_title', content: `${verb} ${withArticle}`, object: job, confidence, slotPrefix: `${verb.toLowerCase()} ` },
  ]
  const employer = employerPart === undefined ? null : employerMatch(employerPart, confidence, false)
  if (employer !== null) out.push(employer)
  return out
}

const workRules: Rule[] = [
  (c) => {
    const m = re('i\\s+{ADV}work\\s+as\\s+(.+)').exec(c)
    return m?.[1] === undefined ? null : jobAndEmployer(m[1], 'Works as', 0.9, false)
  },
  (c) => {
    const m = re('i\\s+{ADV}work\\s+(?:at|for)\\s+(.+)').exec(c)
    const employer = m?.[1] === undefined ? null : employerMatch(m[1], 0.9, false)
    return employer === null ? null : [employer]
  },
  (c) => {
    const m = re("i(?:'ve|\\s+have)?\\s+{ADV}(?:joined|started\\s+at|started\\s+working\\s+(?:at|for)|switched\\s+jobs\\s+to)\\s+(.+)").exec(c)
    const employer = capitalized(m?.[1]) ? employerMatch(m[1], 0.8, true) : null
    return employer === null ? null : [employer]
  },
  (c) => {
    const m = re(`(?:i\\s+{ADV}no\\s+longer\\s+work\\s+(?:at|for)|i\\s+{NOT}\\s+work\\s+(?:at|for)|i(?:'ve|\\s+have)?\\s+(?:left|quit))\\s+(.+)`).exec(c)
    if (!capitalized(m?.[1])) return null
    if (/\bwork\b/i.test(m[0]) && !/no\s+longer/i.test(c) && !ANYMORE.test(c)) return null
    const employer = cleanObject(m[1], ['as', 'in', 'since', 'for', 'and', 'on', 'last', 'this', 'after'], 6)
    if (employer === null) return null
    return one({ kind: 'work', key: 'employer', content: `No longer works at ${employer}`, object: employer, confidence: 0.8, retracts: true, slotPrefix: 'works at ' })
  },
  (c) => {
    const m = re('{IM}\\s+(?:{ADV})(an?\\s+.+)').exec(c)
    return m?.[1] === undefined ? null : jobAndEmployer(m[1], 'Is', 0.8, true)
  },
]

function opinionObject(raw: string | undefined): string | null {
  if (raw === undefined) return null
  const object = cleanObject(raw, OPINION_STOPS, 8)
  if (object === null || VAGUE_OBJECT.test(object)) return null
  return object
}

function opinion(content: string, object: string, confidence: number, extra: Partial<RuleMatch> = {}): RuleMatch[] | null {
  const key = keyFor('opinion', object)
  return one({ kind: 'preference', key, content: `${content} ${object}`, object, confidence, ...extra })
}

function preferenceOver(first: string | undefined, second: string | undefined, confidence: number): RuleMatch[] | null {
  const a = opinionObject(first)
  const b = opinionObject(second)
  if (a === null || b === null) return null
  const slugs = [slugify(a, 24), slugify(b, 24)].sort()
  const key = slugs[0] === '' || slugs[1] === '' || slugs[0] === slugs[1] ? null : `preference_${slugs.join('_vs_')}`
  return one({ kind: 'preference', key, content: `Prefers ${a} over ${b}`, object: a, confidence })
}

const LIKE_VERBS: Record<string, string> = {
  like: 'Likes', love: 'Loves', adore: 'Loves', enjoy: 'Enjoys', hate: 'Hates', dislike: 'Dislikes',
  detest: 'Hates', loathe: 'Hates', "can't stand": 'Hates', 'cannot stand': 'Hates', 'can not stand': 'Hates',
}

const preferenceRules: Rule[] = [
  (c) => {
    const m = re('i\\s+{ADV}prefer\\s+(.+?)\\s+(?:over|to|rather\\s+than|instead\\s+of)\\s+(.+)').exec(c)
    return m === null ? null : preferenceOver(m[1], m[2], 0.9)
  },
  (c) => {
    const m = re('i\\s+{ADV}(?:like|love|enjoy)\\s+(.+?)\\s+(?:more|better)\\s+than\\s+(.+)').exec(c)
    return m === null ? null : preferenceOver(m[1], m[2], 0.8)
  },
  (c) => {
    const m = re('i\\s+{ADV}prefer\\s+(.+)').exec(c)
    const object = opinionObject(m?.[1])
    return object === null ? null : opinion('Prefers', object, 0.8)
  },
  (c) => {
    const m = re(`(?:i\\s+{ADV}no\\s+longer|i\\s+{NOT}\\s+{ADV})(like|love|enjoy|care\\s+for)\\s+(.+)`).exec(c)
    if (m?.[1] === undefined) return null
    const object = opinionObject(m[2])
    if (object === null) return null
    const verb = m[1].toLowerCase().replace(/\s+/g, ' ')
    if (/no\s+longer/i.test(m[0]) || ANYMORE.test(c)) {
      return opinion(`No longer ${verb === 'care for' ? 'cares for' : `${verb}s`}`, object, 0.8, { replaces: true })
    }
    // "I don't love X" is lukewarm rather than a dislike, so it says nothing durable.
    if (verb === 'love') return null
    return opinion(verb === 'enjoy' ? 'Does not enjoy' : 'Dislikes', object, 0.8)
  },
  (c) => {
    const m = re("i\\s+{ADV}(like|love|adore|enjoy|hate|dislike|detest|loathe|can't\\s+stand|cannot\\s+stand|can\\s+not\\s+stand)\\s+(.+)").exec(c)
    if (m?.[1] === undefined) return null
    const object = opinionObject(m[2])
    const verb = LIKE_VERBS[m[1].toLowerCase().replace(/\s+/g, ' ')]
    return object === null || verb === undefined ? null : opinion(verb, object, 0.9)
  },
  (c) => {
    const m = re('{IM}\\s+{ADV}(not\\s+)?(?:a\\s+(?:big\\s+|huge\\s+)?fan\\s+of|fond\\s+of|into)\\s+(.+)').exec(c)
    const object = opinionObject(m?.[2])
    if (m === null || object === null) return null
    return opinion(m[1] === undefined ? 'Likes' : 'Dislikes', object, 0.8)
  },
  (c) => {
    const m = re('my\\s+(?:favou?rite)\\s+(.+?)\\s+is\\s+(.+)').exec(c)
    const topic = m?.[1] === undefined ? null : cleanObject(m[1], [], 4)
    const value = opinionObject(m?.[2])
    if (topic === null || value === null) return null
    return one({ kind: 'preference', key: keyFor('favorite', topic), content: `Favorite ${topic} is ${value}`, object: value, confidence: 0.9 })
  },
]

function decision(verbPhrase: string, raw: string | undefined, confidence: number, replaces = false): RuleMatch[] | null {
  if (raw === undefined) return null
  const object = cleanObject(raw, ['instead of', 'over', 'after', 'for now', 'so', 'and then'], 10)
  if (object === null || VAGUE_OBJECT.test(object)) return null
  const domain = decisionDomain(object)
  return one({ kind: 'decision', key: domain === null ? null : `decision_${domain}`, content: `${verbPhrase} ${object}`, object, confidence, replaces })
}

const WE_OR_I = "(?:we|i)(?:'ve|\\s+have)?"

const decisionRules: Rule[] = [
  (c) => {
    const m = re(`${WE_OR_I}\\s+{ADV}(decided|agreed)\\s+(to|on)\\s+(.+)`).exec(c)
    if (m?.[1] === undefined || m[2] === undefined) return null
    const verb = m[2].toLowerCase() === 'on' ? 'Chose' : `${capitalize(m[1].toLowerCase())} to`
    return decision(verb, m[3], 0.9)
  },
  (c) => {
    const m = re(`(?:${WE_OR_I}\\s+{ADV}(?:picked|chose|chosen|selected|settled\\s+on|went\\s+with|gone\\s+with|opted\\s+for|ended\\s+up\\s+(?:with|using|going\\s+with))|(?:we're|we\\s+are|i'm|i\\s+am)\\s+going\\s+with)\\s+(.+)`).exec(c)
    return decision('Chose', m?.[1], 0.9)
  },
  (c) => {
    const m = re(`(?:we|i)(?:'ve|\\s+have)?\\s+{ADV}(?:switched|migrated|moved)\\s+(?:(?:from|off)\\s+(.+?)\\s+)?to\\s+(.+)`).exec(c)
    if (m?.[2] === undefined) return null
    // "we moved to Lisbon" is a home move, not a tooling decision: need a known product.
    if (decisionDomain(m[2]) === null) return null
    const from = m[1] === undefined ? null : cleanObject(m[1], [], 4)
    return decision(from === null ? 'Switched to' : `Switched from ${from} to`, m[2], 0.9, true)
  },
]

function tooling(key: string | null, content: string, object: string, confidence: number): RuleMatch[] {
  return one({ kind: 'tooling', key, content, object, confidence, slotPrefix: key === 'deploy_target' ? 'deploys to ' : undefined })
}

const toolingRules: Rule[] = [
  (c) => {
    const m =
      re("(?:we|i)(?:'ll|\\s+will)?\\s+{ADV}(?:deploy|host|run)(?:\\s+(?:it|everything|(?:our|my|the)\\s+(?:apps?|services?|backend|site|api)))?\\s+(?:to|on)\\s+(.+)").exec(c) ??
      re("(?:we're|we\\s+are|i'm|i\\s+am)\\s+{ADV}(?:deploying|hosting)(?:\\s+(?:it|everything))?\\s+(?:to|on)\\s+(.+)").exec(c) ??
      re('(?:our|my)\\s+(?:deploy(?:ment)?\\s+target|hosting\\s+provider|cloud\\s+provider|host)\\s+is\\s+(.+)').exec(c)
    const target = m?.[1] === undefined ? null : cleanObject(m[1], ['every', 'each', 'on', 'at', 'using', 'with', 'via', 'and', 'after', 'before'], 5)
    if (target === null || ENVIRONMENT.test(target) || isDateLike(target)) return null
    return tooling('deploy_target', `Deploys to ${target}`, target, 0.9)
  },
  (c) => {
    const m = re('(?:our|my)\\s+(?:tech\\s+)?stack\\s+is\\s+(.+)').exec(c)
    const stack = m?.[1] === undefined ? null : cleanObject(m[1], [], 12)
    return stack === null ? null : tooling('tech_stack', `Stack is ${stack}`, stack, 0.9)
  },
  (c) => {
    const m = re('(?:we|i)\\s+{ADV}use\\s+(.+?)\\s+for\\s+(.+)').exec(c)
    const tool = m?.[1] === undefined ? null : cleanObject(m[1], [], 5)
    const purpose = m?.[2] === undefined ? null : cleanObject(m[2], ['and', 'at', 'in', 'on'], 5)
    if (tool === null || purpose === null || VAGUE_OBJECT.test(tool)) return null
    return tooling(keyFor('tool', purpose), `Uses ${tool} for ${purpose}`, tool, 0.8)
  },
]

function dateObject(raw: string | undefined): string | null {
  if (raw === undefined) return null
  const date = cleanObject(raw.replace(/^(?:on|by|for|scheduled\s+for|set\s+for|in)\s+/i, ''), ['and', 'so', 'at the latest'], 6)
  return date !== null && isDateLike(date) ? date : null
}

// A possessive other than the user's ("Bob's report") or a third-person subject is someone else's.
const SUBJECT_OK = /^(?:(?:the|my|our|this|that)\s+)?[\p{L}\d][\p{L}\d -]*$/iu
const SUBJECT_BAD = /(?:'s\b|\b(?:his|her|their|he|she|they|bob|someone|everyone)\b)/i

function deadlineSubject(raw: string): { phrase: string; key: string } | null {
  const subject = trimPunctuation(raw)
  if (/^(?:(?:the|my|our|this|that|it)\s*)?$/i.test(subject)) return { phrase: '', key: 'deadline' }
  if (!SUBJECT_OK.test(subject) || SUBJECT_BAD.test(subject) || subject.split(/\s+/).length > 5) return null
  const phrase = subject.replace(/^(?:my|our)\s+/i, 'their ').replace(/^(?:the|this|that)\s/i, (d) => d.toLowerCase())
  const key = keyFor('deadline', subject)
  return key === null ? null : { phrase: /^(?:the|their|this|that)\s/i.test(phrase) ? phrase : `the ${phrase}`, key }
}

function deadline(subjectRaw: string, dateRaw: string | undefined): RuleMatch[] | null {
  const date = dateObject(dateRaw)
  const subject = deadlineSubject(subjectRaw)
  if (date === null || subject === null) return null
  const content = subject.phrase === '' ? `Deadline is ${date}` : `Deadline for ${subject.phrase} is ${date}`
  return one({ kind: 'deadline', key: subject.key, content, object: date, confidence: 0.9 })
}

const dateRules: Rule[] = [
  (c) => {
    const m = re('(?:(?:the|my|our)\\s+)?deadline\\s+for\\s+(.+?)\\s+is\\s+(.+)').exec(c)
    return m?.[1] === undefined ? null : deadline(m[1], m[2])
  },
  (c) => {
    const m = re('((?:(?:the|my|our)\\s+)?(?:[\\p{L}\\d-]+\\s+){0,3}?)deadline\\s+is\\s+(.+)').exec(c)
    return m === null ? null : deadline(m[1] ?? '', m[2])
  },
  (c) => {
    const m = re("(it|(?:(?:the|my|our|this|that)\\s+)?[\\p{L}\\d -]+?)(?:'s|\\s+is|\\s+will\\s+be)\\s+due\\s+(.+)").exec(c)
    return m?.[1] === undefined ? null : deadline(m[1], m[2])
  },
  (c) => {
    const m =
      re("(?:we|we're|we\\s+are|we'll|we\\s+will|we\\s+plan\\s+to)\\s+{ADV}(?:launch|launching|ship|shipping|release|releasing|go\\s+live|going\\s+live)(?:\\s+(?:it|v1|the\\s+(?:app|product|site|beta)))?\\s+(.+)").exec(c) ??
      re('(?:the|our)\\s+launch(?:\\s+date)?\\s+is\\s+(.+)').exec(c)
    const date = dateObject(m?.[1])
    if (date === null) return null
    return one({ kind: 'date', key: 'launch_date', content: `Launch date is ${date}`, object: date, confidence: 0.9 })
  },
  (c) => {
    const m = re('(?:my\\s+birthday\\s+is|i\\s+was\\s+born\\s+on)\\s+(.+)').exec(c)
    const date = dateObject(m?.[1])
    if (date === null) return null
    return one({ kind: 'date', key: 'birthday', content: `Birthday is ${date}`, object: date, confidence: 0.9 })
  },
]

const RULES: readonly Rule[] = [
  ...nameRules,
  ...locationRules,
  ...dateRules,
  ...preferenceRules,
  ...decisionRules,
  ...toolingRules,
  ...workRules,
]

/** Runs the rules over one clause; the first rule that matches decides. */
export function matchClause(clause: string): RuleMatch[] {
  for (const rule of RULES) {
    const matches = rule(clause)
    if (matches !== null && matches.length > 0) return matches
  }
  return []
}

/** "I meant Oslo" / "I meant Oslo, not Bergen": a correction that names a value but no slot. */
export interface MeantMatch {
  value: string
  instead: string | null
}

/** Reads an "I meant X" correction; the present-tense "I mean X" only with an explicit "not Y". */
export function matchMeant(clause: string): MeantMatch | null {
  const m = /^i\s+(meant|mean)\s+(.+?)(?:,?\s+not\s+(.+))?$/iu.exec(clause)
  if (m?.[2] === undefined) return null
  if (m[1]?.toLowerCase() === 'mean' && m[3] === undefined) return null
  const value = cleanObject(m[2], [], 5)
  const instead = m[3] === undefined ? null : cleanObject(m[3], [], 5)
  if (value === null || VAGUE_OBJECT.test(value) || /^(?:to|i|we|that|the one)\b/i.test(value)) return null
  return { value, instead }
}
