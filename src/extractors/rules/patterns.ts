/**
 * The statement rules in the order they are tried. Each is anchored at the start of a clause whose
 * subject is the user ("I", "my", "we"), which is what keeps other people's facts, reported speech
 * and most chit-chat out. The first rule that matches a clause wins.
 * @internal
 */
import { cleanObject } from './phrases.js'
import { locationRules, nameRules, workRules } from './profile-rules.js'
import { VAGUE_OBJECT, type Rule, type RuleMatch } from './rule.js'
import { dateRules, decisionRules, preferenceRules, toolingRules } from './topic-rules.js'

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
