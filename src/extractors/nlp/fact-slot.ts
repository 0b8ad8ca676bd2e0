/**
 * The kind and key of a self-statement. Keys are the slots that supersede each other (a later
 * `home_location` replaces the earlier one); most statements are events or notes and have none.
 * Keys are the ones the removed rule extractor wrote (`name`, `home_location`, `employer`,
 * `job_title`, `opinion_<thing>`, `decision_<domain>`), so facts it stored are still corrected.
 * This, with `fact-key.ts` and `decision-domains.ts`, is the hand-written part: the slots and
 * correction semantics no NLP library knows.
 * @internal
 */
import { decisionDomain } from './decision-domains.js'
import { keyFor, slugify } from './fact-key.js'
import type { SelfStatement } from './self-statement.js'

/** Where a statement lands: its kind, its key, and whether it replaces the slot's value. */
export interface FactSlot {
  kind: string
  key: string | null
  /** The statement ends the slot's previous value ("I moved to Oslo", "we upgraded to Postgres 17"). */
  replaces: boolean
}

const RELATIONS = new Set([
  'wife', 'husband', 'partner', 'girlfriend', 'boyfriend', 'fiance', 'fiancé', 'fiancee', 'fiancée', 'spouse', 'mother', 'mom',
  'mum', 'father', 'dad', 'sister', 'brother', 'son', 'daughter', 'kid', 'kids', 'children', 'child', 'parents', 'grandma',
  'grandmother', 'grandpa', 'grandfather', 'aunt', 'uncle', 'cousin', 'niece', 'nephew', 'friend', 'best', 'roommate',
  'boss', 'manager', 'colleague', 'coworker', 'family', 'baby', 'twins', 'stepson', 'stepdaughter', 'in-laws',
])
const PETS = new Set(['dog', 'dogs', 'cat', 'cats', 'puppy', 'kitten', 'kittens', 'parrot', 'rabbit', 'rabbits', 'hamster', 'fish', 'horse', 'tortoise', 'turtle', 'snake', 'lizard', 'bird', 'birds', 'guinea'])
const DIETS = new Set(['vegetarian', 'vegan', 'pescatarian', 'pescetarian', 'keto', 'gluten-free', 'lactose', 'celiac', 'coeliac', 'diabetic', 'kosher', 'halal', 'teetotal', 'sober'])
const JOBS = /(?:^|\s)(?:nurse|teacher|doctor|engineer|developer|designer|student|chef|lawyer|accountant|architect|manager|scientist|researcher|programmer|writer|artist|musician|photographer|consultant|analyst|founder|cto|ceo|pharmacist|dentist|paramedic|firefighter|electrician|plumber|carpenter|librarian|professor|lecturer|journalist|editor|translator|therapist|psychologist|veterinarian|vet|pilot|mechanic|barista|baker|farmer|surgeon|midwife|student|intern|freelancer|contractor|tutor|coach|trainer|officer|clerk|cashier|driver|receptionist|administrator|admin|sysadmin|devops|data scientist|product manager)s?$/
const KEYED_POSSESSIONS = new Map<string, string>([
  ['name', 'name'], ['timezone', 'timezone'], ['time zone', 'timezone'], ['birthday', 'birthday'], ['email', 'email'],
  ['pronouns', 'pronouns'], ['job', 'job_title'], ['employer', 'employer'], ['hometown', 'origin'], ['home town', 'origin'],
])
const DECISION_VERBS = new Set(['decide', 'choose', 'pick', 'go', 'switch', 'upgrade', 'migrate', 'move', 'settle', 'adopt', 'use', 'standardize', 'standardise', 'opt', 'replace', 'drop'])
const CHANGE_VERBS = new Set(['switch', 'upgrade', 'migrate', 'move', 'replace', 'downgrade', 'relocate'])
const OPINION_VERBS = new Set(['love', 'like', 'enjoy', 'hate', 'dislike', 'adore', 'prefer', 'loathe', 'detest', 'stand'])

/** The slot of a statement. */
export function slotOf(s: SelfStatement): FactSlot {
  const complement = s.complement.toLowerCase()
  const head = firstWords(complement, 4)
  if (s.verb === 'name') return { kind: 'name', key: 'name', replaces: true }
  if (s.verb === 'call') return { kind: 'name', key: 'name', replaces: true }
  if (s.subject === 'possession' && s.possessed !== null) {
    const possessed = s.possessed.replace(/^(?:favou?rite)\s+/, 'favorite ')
    const keyed = KEYED_POSSESSIONS.get(possessed)
    if (keyed !== undefined && s.verb === 'be') return { kind: keyed === 'name' ? 'name' : 'profile', key: keyed, replaces: true }
    if (possessed.startsWith('favorite ') && s.verb === 'be') return { kind: 'preference', key: keyFor('favorite', possessed.slice(9)), replaces: true }
    const first = possessed.split(' ')[0] ?? ''
    if (RELATIONS.has(first)) return { kind: 'relationship', key: null, replaces: false }
    if (PETS.has(first)) return { kind: 'pet', key: null, replaces: false }
    return { kind: 'note', key: null, replaces: false }
  }
  if (s.verb === 'live' || (s.verb === 'be' && /^(?:based|living)\s+in\s/.test(complement))) {
    if (s.negated) return { kind: 'location', key: null, replaces: false }
    return { kind: 'location', key: 'home_location', replaces: s.corrective }
  }
  // "I moved to Oslo" ends the old home; "I'm moving to Oslo next month" does not yet.
  if ((s.verb === 'move' || s.verb === 'relocate') && /^(?:to|back to)\s/.test(complement) && s.tense === 'past' && decisionDomain(s.complement) === null) {
    return { kind: 'location', key: 'home_location', replaces: true }
  }
  // "We bought a flat in Podgórze", "we left Partick for a bigger flat in Finnieston", "I moved
  // into an apartment in Brooklyn": a new home, which ends the old one.
  if (s.tense === 'past' && !s.negated && HOME_VERBS.has(s.verb) && NEW_HOME.test(complement) && (s.verb !== 'leave' || LEFT_FOR_HOME.test(complement))) {
    return { kind: 'location', key: 'home_location', replaces: true }
  }
  if (isJobChange(s, complement)) return { kind: 'work', key: 'job_title', replaces: true }
  if (s.verb === 'be' && /^from\s/.test(complement)) return { kind: 'location', key: 'origin', replaces: false }
  if (s.verb === 'work' && /^(?:at|for)\s/.test(complement) && !s.negated && s.tense !== 'future') return { kind: 'work', key: 'employer', replaces: s.corrective }
  if (s.verb === 'be' && /^(?:a|an)\s/.test(complement)) {
    const noun = complement.replace(/^(?:a|an)\s+/, '').split(/\s+(?:at|for|in|with|from|and|who|since)\s/)[0] ?? ''
    if (JOBS.test(noun) && !s.negated && s.tense === 'present') return { kind: 'work', key: 'job_title', replaces: s.corrective }
    return { kind: 'identity', key: null, replaces: false }
  }
  if (s.verb === 'be' && /^allergic\s+to\s/.test(complement)) return { kind: 'health', key: keyFor('allergy', head.replace(/^allergic\s+to\s+/, '')), replaces: false }
  if (s.verb === 'be' && DIETS.has(complement.split(/\s+/).find((w) => w !== 'strictly' && w !== 'fully' && w !== 'mostly') ?? '')) return { kind: 'health', key: 'diet', replaces: true }
  if (OPINION_VERBS.has(s.verb) && s.tense !== 'future') {
    const thing = (complement.replace(/^(?:to\s+)/, '').split(/\s+(?:over|than|because|but|and|when|since|especially)\s|,/)[0] ?? '')
      .replace(/\s+(?:anymore|any more|now|too|either|again|at all|a lot|so much|very much)$/, '')
    if (s.verb === 'prefer') {
      const m = /^(.{1,40}?)\s+(?:over|to|than)\s+(.{1,40})$/.exec(complement)
      if (m?.[1] !== undefined && m[2] !== undefined) {
        const pair = [slugify(m[1], 20), slugify(m[2], 20)].sort()
        if (pair[0] !== '' && pair[1] !== '') return { kind: 'preference', key: `preference_${pair[0]}_vs_${pair[1]}`, replaces: true }
      }
    }
    const words = thing.split(/\s+/)
    return { kind: 'preference', key: words.length <= 4 ? keyFor('opinion', thing) : null, replaces: s.corrective }
  }
  if (s.verb === 'have' && PETS.has(complement.split(/\s+/)[1] ?? '') || /\b(?:dog|cat|puppy|kitten)s?\s+named\b/.test(complement)) return { kind: 'pet', key: null, replaces: false }
  if (DECISION_VERBS.has(s.verb) || (s.subject === 'we' && s.verb === 'be' && /^(?:using|on|running)\s/.test(complement))) {
    const domain = decisionDomain(s.complement)
    if (domain !== null) return { kind: 'decision', key: `decision_${domain}`, replaces: CHANGE_VERBS.has(s.verb) || s.corrective }
    if (s.verb === 'decide' || s.verb === 'choose' || s.verb === 'opt') return { kind: 'decision', key: null, replaces: false }
  }
  if (s.tense === 'future') return { kind: 'plan', key: null, replaces: false }
  if (s.tense === 'past') return { kind: 'event', key: null, replaces: false }
  return { kind: 'note', key: null, replaces: false }
}

const HOME_VERBS = new Set(['buy', 'leave', 'move', 'rent', 'relocate'])
const NEW_HOME = /\b(?:house|flat|apartment|home|condo|cottage|bungalow|townhouse)\s+in\s+\S/
/** "left Partick for a bigger flat in …", "left Headingley and bought a house in …": not "left my keys in the house". */
const LEFT_FOR_HOME = /^\S+(?:\s+\S+){0,2}\s+(?:for|and\s+(?:bought|moved|rented))\s/
const ROLE_WORDS = /(?:^|\s)(?:lead|head|director|supervisor|coordinator|principal|chief|partner|vp|president)$/

/**
 * A new role ends the old one: "I became tech lead of the backend team", "I've been promoted to
 * senior accountant", "I started a new job as a data analyst", "I got the ICU job".
 */
function isJobChange(s: SelfStatement, complement: string): boolean {
  if (s.negated || s.tense === 'future' || s.subject !== 'self') return false
  if (s.verb === 'promote') return /^to\s/.test(complement)
  if (s.verb === 'become') {
    const role = complement.replace(/^(?:a|an|the)\s+/, '').split(/\s+(?:of|at|for|in|with|on|from|and|since)\s/)[0] ?? ''
    return JOBS.test(role) || ROLE_WORDS.test(role)
  }
  if (s.verb === 'start' || s.verb === 'begin' || s.verb === 'take') return /\b(?:job|role|position|post)\s+as\s/.test(complement)
  if (s.verb === 'get' || s.verb === 'land') return /^(?:the|a|my)\s+(?:[\w&-]+\s+){0,3}(?:job|role|position|post|promotion)\b/.test(complement)
  return false
}

function firstWords(text: string, n: number): string {
  return text.split(/\s+/).slice(0, n).join(' ')
}
