/**
 * Spots text that reads as an instruction to the assistant rather than a statement about the
 * user: prompt-injection framing ("ignore previous instructions", "## SYSTEM:", "</instructions>"),
 * requests to call tools or reveal secrets, and second-person imperatives ("you must always …",
 * "the assistant must …"). A fact is later injected into an agent's instructions, so such text
 * must never become one; both extractors refuse it.
 *
 * It is a heuristic, tuned to refuse rather than keep: a fact like "Wants the assistant to answer
 * in French" is refused too (the preference can still be stated as "Prefers answers in French").
 * The context block fences facts as data as a second line of defence.
 */

/** Why text was judged instruction-like; `framing` is an injection marker that taints a whole message. */
export type InstructionReason = 'framing' | 'tool_call' | 'secret' | 'addressed_to_assistant' | 'imperative'

// Each pattern is literal words and bounded gaps between word boundaries: linear on any input.
const FRAMING: readonly RegExp[] = [
  /\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|of|these|those|my|your)\s+)*(?:previous|prior|above|earlier|preceding|original|old|existing|system|safety|your|these|those|all)\s+(?:\w+\s+)?(?:instructions?|prompts?|rules|guidelines|directives|messages)\b/i,
  /\b(?:ignore|disregard|forget)\s+(?:everything|all)\s+(?:above|before|else|previous(?:ly)?|prior|you\s+(?:were|have\s+been)\s+told)\b/i,
  /\b(?:new|updated|real|actual|hidden|secret|system|developer|admin|override)\s+(?:instructions?|prompt|directives?)\b/i,
  /\b(?:dan|jailbreak|unrestricted|unfiltered)\s+mode\b|\bjailbr(?:ea|o)k/i,
  /\b(?:enter|enable|activate|switch\s+(?:in)?to|now\s+in)\s+(?:developer|debug|god|admin|sudo|root)\s+mode\b/i,
  /<\/?\s*(?:instructions?|system|developer|assistant|user|prompt|im_start|im_end|tool|context|memory|facts?|transcript)\b[^<>\n]{0,40}>/i,
  /<\|[a-z_]{2,20}\|>/i,
  /(?:^|\n)[ \t#*>[]*(?:system|developer|assistant)(?:\s+(?:prompt|message|note|override))?\s*[:\]]/i,
  /\[\s*(?:inst|sys|system)\s*\]/i,
]

const TOOL_CALL = /\b(?:call|invoke|execute|trigger)\s+(?:the\s+|a\s+|an\s+)?[\w.-]{1,60}\s+(?:tool|function)\b|\b(?:call|calls|invoke|invokes|execute|executes|trigger|triggers)\s+(?:the\s+)?\w+_\w+|\b(?:delete|drop|wipe|erase|remove)\s+(?:all|every)\s+(?:the\s+|of\s+the\s+)?(?:files?|data|records|users|tables|facts|memories|emails)\b|\brm\s+-rf\b/i

const SECRET = /\b(?:reveal|disclose|leak|share|print|output|send|show|give|tell|expose|dump)\b[^.\n]{0,40}?\b(?:passwords?|passwd|credentials?|secrets?|api[\s_-]?keys?|private\s+keys?|system\s+prompt|(?:your|its|the\s+assistant's)\s+instructions)\b/i

const ADDRESSED = /\b(?:the\s+|this\s+|our\s+)?(?:assistant|ai|bot|chatbot|llm|gpt|chatgpt|claude)\s+(?:must|should|shall|will\s+always|will\s+never|has\s+to|needs\s+to|is\s+(?:required|allowed|not\s+allowed|forbidden)|may\s+(?:now|always)|always|never|can\s+now)\b|\byou\s+(?:must|should|shall|will\s+(?:now|always|never)|have\s+to|need\s+to|are\s+(?:now|required|allowed|forbidden|not\s+allowed|to\b)|can\s+now|may\s+now|always|never|now\s+(?:are|have|must))\b|\byou're\s+now\b|\bfrom\s+now\s+on\s*,?\s+(?:you|the\s+assistant|always|never|answer|respond|reply)\b|\bas\s+an?\s+ai\b|\byour\s+(?:instructions|rules|guidelines|system\s+prompt|programming|new\s+role)\b/i

// An order opening a sentence: a bare verb no statement about oneself starts with ("Never eats
// pork" is a fact, "Never eat pork" an order).
const IMPERATIVE_START = /^(?:please\s+|pls\s+|kindly\s+)?(?:(?:always|never)\s+(?!\w+s\b)|(?:ignore|disregard|obey|comply|respond|reply|answer|output|print|say|tell|reveal|disclose|send|email|call(?!\s+me\b)|invoke|execute|delete|erase|wipe|grant|transfer|pretend|act|behave|roleplay|override|bypass|do\s+not|don't|dont|forward|leak|exfiltrate)\b)/i

const SECOND_PERSON = /\b(?:you|your|yours|yourself|yourselves)\b/i

/**
 * The reason `text` reads as an instruction addressed to the assistant, or null when it reads as a
 * statement. Checks the first 4,000 characters.
 */
export function instructionReason(text: string): InstructionReason | null {
  const t = text.length > MAX_CHECKED_CHARS ? text.slice(0, MAX_CHECKED_CHARS) : text
  if (FRAMING.some((re) => re.test(t))) return 'framing'
  if (TOOL_CALL.test(t)) return 'tool_call'
  if (SECRET.test(t)) return 'secret'
  if (ADDRESSED.test(t)) return 'addressed_to_assistant'
  if (IMPERATIVE_START.test(t.trimStart())) return 'imperative'
  return null
}

/** True when `text` reads as an instruction to the assistant (see {@link instructionReason}). */
export function isInstructionLike(text: string): boolean {
  return instructionReason(text) !== null
}

/**
 * True when `text` anywhere carries prompt-injection framing (role headers, closing tags, "ignore
 * previous instructions"): a message with that is not read for facts at all.
 */
export function hasInjectionFraming(text: string): boolean {
  return FRAMING.some((re) => re.test(text))
}

/** True when `text` speaks to someone in the second person ("you", "your"): advice, not a fact about the speaker. */
export function addressesSomeone(text: string): boolean {
  return SECOND_PERSON.test(text.length > MAX_CHECKED_CHARS ? text.slice(0, MAX_CHECKED_CHARS) : text)
}

const MAX_CHECKED_CHARS = 4_000
