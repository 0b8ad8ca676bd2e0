/**
 * The shape shared by the statement rules: what a rule returns, and the regex helpers they use.
 * @internal
 */

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

/** Reads one clause; null (or an empty list) when it does not apply. */
export type Rule = (clause: string) => RuleMatch[] | null

/** Adverbs allowed between the subject and the verb: "I really like", "I now live". */
export const ADV = "(?:(?:really|actually|currently|now|still|also|just|absolutely|totally|definitely|honestly|genuinely|truly|kind of|kinda|sort of|do|much|recently|finally|already|mostly|usually|personally)\\s+)*"
/** "I'm" / "I am". */
export const IM = "i(?:'m|\\s+am)"
/** "don't" / "do not". */
export const NOT = "(?:don't|do\\s+not|dont)"

const compiled = new Map<string, RegExp>()

/**
 * Anchors a rule source at the clause start and expands `{ADV}`, `{IM}` and `{NOT}`. Compiled once
 * per source: rules call this for every clause, and compiling dominated a long message's time.
 */
export function re(source: string): RegExp {
  let regex = compiled.get(source)
  if (regex === undefined) {
    // No `g` or `y` flag: the regex keeps no lastIndex state, so sharing it is safe.
    regex = new RegExp(`^${source.replaceAll('{ADV}', ADV).replaceAll('{IM}', IM).replaceAll('{NOT}', NOT)}`, 'iu')
    compiled.set(source, regex)
  }
  return regex
}

/** "anymore" turns a negation into a change: "I don't live in Berlin anymore". */
export const ANYMORE = /\b(?:anymore|any more)\b/i

/** Objects that make a sentence chit-chat about the conversation ("I love it"), not a fact. */
export const VAGUE_OBJECT = /^(?:it|this|that|these|those|them|you|him|her|how|what|when|where|why|who|your|the way|the idea|here|there|such|so|some|all|both|either|neither|none|nothing|everything|anything|something|stuff|things|the same|one|ones|more|most|much|lots|not|to think|to say|being here)\b/i

/** True when `text` starts with a capital; the rules run with the `i` flag, under which \p{Lu} matches any letter. */
export function capitalized(text: string | undefined): text is string {
  return text !== undefined && /^\p{Lu}/u.test(text)
}

/** Wraps a single match. */
export function one(match: RuleMatch): RuleMatch[] {
  return [match]
}
