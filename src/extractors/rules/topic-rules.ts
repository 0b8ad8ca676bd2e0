/**
 * Rules about what the user thinks and plans: likes and preferences, decisions, tooling, and dates.
 * @internal
 */
import { decisionDomain } from './decision-domains.js'
import { capitalize, cleanObject, isDateLike, keyFor, slugify, trimPunctuation } from './phrases.js'
import { ANYMORE, VAGUE_OBJECT, one, re, type Rule, type RuleMatch } from './rule.js'

const OPINION_STOPS = ['when', 'more than', 'better than', 'a lot', 'very much', 'so much', 'most', 'anyway', 'and i', 'and my']
const ENVIRONMENT = /^(?:prod|production|staging|dev|development|test|main|master|live)$/i

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

/** "I like/love/hate X", "I don't like X", "I prefer X over Y", "my favourite X is Y". */
export const preferenceRules: Rule[] = [
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

/** "We decided to", "we went with", "we switched from X to Y". */
export const decisionRules: Rule[] = [
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

/** "We deploy to X", "our stack is X", "I use X for Y". */
export const toolingRules: Rule[] = [
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

/** Deadlines, "X is due", launch dates and birthdays. */
export const dateRules: Rule[] = [
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
