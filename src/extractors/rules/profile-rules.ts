/**
 * Rules about who the user is: name, where they live or come from, job title and employer.
 * @internal
 */
import { ANYMORE, capitalized, one, re, type Rule, type RuleMatch } from './rule.js'
import { cleanObject, trimPunctuation } from './phrases.js'

const PLACE_STOPS = ['with', 'for', 'and', 'near', 'ago', 'last', 'this', 'next', 'at', 'when', 'where', 'until', 'since', 'after', 'on']
// "I live in fear" is an idiom, not an address.
const NOT_PLACES = /^(?:fear|hope|denial|peace|poverty|luxury|misery|harmony|terror|sin|a bubble|my head|the (?:moment|past|present|future|now))$/i

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

function nameTokens(raw: string): string | null {
  const words: string[] = []
  for (const word of trimPunctuation(raw).split(/\s+/)) {
    const clean = trimPunctuation(word)
    if (/^(?:and|but|by|btw|from|though|not|or|please|thanks|lol|haha|now|too|here|instead)$/i.test(clean)) break
    if (clean.length > 40 || !/^\p{L}[\p{L}'.-]*$/u.test(clean)) return null
    words.push(clean)
    if (word !== clean && /[,;]$/.test(word)) break
  }
  if (words.length === 0 || words.length > 4 || NOT_NAMES.has((words[0] ?? '').toLowerCase())) return null
  return words.join(' ')
}

function nameMatch(name: string, confidence: number): RuleMatch[] {
  return one({ kind: 'name', key: 'name', content: `Name is ${name}`, object: name, confidence, replaces: true, slotPrefix: 'name is ' })
}

/** "My name is Ada", "call me Ada", "I'm Ada" (capitalised and alone). */
export const nameRules: Rule[] = [
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
    const m = re('{IM}\\s+(\\p{L}[\\p{L}\'-]*(?:\\s+\\p{L}[\\p{L}\'-]*){0,2})(?:\\s*[,.!—–-]|$)').exec(c)
    if (m?.[1] === undefined || !m[1].split(/\\s+/).every(capitalized)) return null
    const name = nameTokens(m[1])
    if (name === null || /ing$/i.test(name.split(' ')[0] ?? '')) return null
    return nameMatch(name, 0.7)
  },
]

function place(raw: string | undefined): string | null {
  const where = raw === undefined ? null : cleanObject(raw, PLACE_STOPS, 5)
  return where === null || NOT_PLACES.test(where) ? null : where
}

function lives(raw: string | undefined, confidence: number, replaces: boolean): RuleMatch[] | null {
  const where = place(raw)
  if (where === null) return null
  return one({ kind: 'location', key: 'home_location', content: `Lives in ${where}`, object: where, confidence, replaces, slotPrefix: 'lives in ' })
}

/** "I live in", "I'm based in", "I moved to", "I no longer live in", "I'm from". */
export const locationRules: Rule[] = [
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
  if (job === null || /^(?:an?|the)$/i.test(job)) return null
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

/** "I work as", "I work at/for", "I joined", "I left", "I'm a nurse (at X)". */
export const workRules: Rule[] = [
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
