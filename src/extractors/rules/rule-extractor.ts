/**
 * The offline extractor: English first-person statements in user messages, read with rules.
 *
 * What it does. Each user message is stripped of code, quoted text and block quotes, split into
 * sentences and then clauses, and each clause is matched from its start against rules for a name,
 * where the user lives, their job and employer, likes, dislikes and preferences, things to
 * remember, decisions, deadlines and dates, and deploy targets and tools (see `rules/patterns.ts`).
 * Corrections ("actually", "no longer", "anymore", "I moved to", "I meant X") produce the
 * replacement fact under the key of what they correct.
 *
 * Keys. `name`, `home_location`, `origin`, `job_title`, `employer`, `birthday`, `launch_date`,
 * `deploy_target`, `tech_stack`; `opinion_<object>` for likes and dislikes of one thing (so "I love
 * Rust" and "I don't like Rust anymore" collide); `preference_<a>_vs_<b>` with the two options
 * sorted (so "tabs over spaces" and "spaces over tabs" collide); `favorite_<topic>`;
 * `deadline` / `deadline_<subject>`; `tool_<purpose>`; `decision_<domain>` when the decision names a
 * well-known product (Postgres → `database`, Hetzner → `hosting`), otherwise no key. Notes have no
 * key unless their clause matches another rule.
 *
 * Corrections and `replacesFactId`. The first candidate for a key in a batch replaces the existing
 * fact with that key (unless it says the same thing). Failing that, a correction or a single-valued
 * slot replaces an existing fact whose content reads like the same slot ("Lives in …"). Later
 * candidates for the same key in one batch leave `replacesFactId` null: reconciliation, which
 * processes candidates in order, supersedes the earlier one by key. When a batch says X and then
 * corrects it to Y, both are emitted in order, each citing its own message, so history keeps the
 * mistake and deleting the correcting message retracts only the correction. "I no longer live in
 * Berlin" keeps the `home_location` key only when the slot's current value mentions Berlin, so it
 * never clobbers a different city. "I meant Oslo" swaps the value of the latest keyed candidate of
 * the same session; "I meant Oslo, not Bergen" finds the candidate or existing fact that mentions
 * Bergen. A correction with no recognisable slot yields nothing.
 *
 * Limits, honestly. English only. It reads statements, not conversations: no pronoun resolution
 * beyond "I meant", no tense beyond a few patterns, no sarcasm. A sentence containing `?`, starting
 * with a conditional ("if", "when", "maybe"), or containing "if"/"unless"/"wish"/"imagine" is
 * skipped whole, which loses facts from mixed sentences ("I live in Berlin, and you?"). "I'm Ada"
 * counts as a name only when capitalised and alone in its clause; lowercase place names are kept
 * as typed. Text inside quotes or code is never used, even the user's own. Wishes ("I'd like",
 * "I would love to") and plans ("I'm moving to Oslo") are not facts and yield nothing. Other
 * people's facts are skipped because every rule needs the user as subject, which also skips
 * "my wife and I" phrasings the rules don't know. A decision about an unknown product has no key,
 * so two such decisions never supersede each other.
 */
import { z } from 'zod'
import { parseOrThrow } from '../../errors.js'
import { normalizeFactText } from '../../facts/reconcile.js'
import { CandidateFactSchema, type CandidateFact, type ExistingFact, type ExtractionInput, type ExtractionItem, type Extractor } from '../extractor.js'
import { readSentences, splitClauses, stripLeadIns, type Clause } from './clauses.js'
import { matchClause, matchMeant } from './patterns.js'
import type { RuleMatch } from './rule.js'
import { escapeRegExp, mentions, toThirdPerson } from './phrases.js'

/** Options for {@link RuleExtractor}. */
export const RuleExtractorOptionsSchema = z.strictObject({
  /**
   * Also read assistant messages. Their first-person statements describe the assistant, so this
   * only suits transcripts where the assistant role speaks for the user (e.g. imported dictation);
   * such candidates get 0.8× the confidence.
   * @defaultValue false
   */
  includeAssistant: z.boolean().default(false),
})
export type RuleExtractorOptions = z.input<typeof RuleExtractorOptionsSchema>
export type RuleExtractorConfig = z.output<typeof RuleExtractorOptionsSchema>

const NOTE_CONFIDENCE = 0.8
const MEANT_CONFIDENCE = 0.7
const ASSISTANT_FACTOR = 0.8
const MAX_NOTE_LENGTH = 500

/**
 * The offline default {@link Extractor}: deterministic rules for common first-person statements
 * in user messages (name, location, job, preferences, notes, decisions, dates, deploy targets,
 * corrections). No network, no model; see the file header for its keys and limits.
 *
 * @throws FactlineError `invalid_config` when an option is unknown or mistyped.
 * @example
 * const extractor = new RuleExtractor()
 * const facts = await extractor.extract({ userId, namespace, existingFacts: [], items: [
 *   { messageId: 1, sessionId, role: 'user', text: 'I live in Berlin and I prefer tabs over spaces.' },
 * ] })
 * // [{ content: 'Lives in Berlin', key: 'home_location', … }, { content: 'Prefers tabs over spaces', key: 'preference_spaces_vs_tabs', … }]
 */
export class RuleExtractor implements Extractor {
  readonly id = 'rules-v1'
  readonly model = null
  readonly #config: RuleExtractorConfig

  constructor(options: RuleExtractorOptions = {}) {
    this.#config = parseOrThrow(RuleExtractorOptionsSchema, options, 'invalid_config', 'invalid RuleExtractor options')
  }

  async extract(input: ExtractionInput, signal?: AbortSignal): Promise<CandidateFact[]> {
    signal?.throwIfAborted()
    return extractWithRules(input, this.#config)
  }
}

interface Emitted {
  fact: CandidateFact
  object: string
  sessionId: string
}

/** A rule match about to become a candidate, with what the batch needs to place it. */
interface Proposal {
  match: RuleMatch
  corrective: boolean
  /** Set by "I meant X, not Y" when it resolved to an existing fact. */
  replacesFactId?: string | null
}

/**
 * Runs the rules over a batch. Pure and deterministic: the same input gives the same output.
 * @internal
 */
export function extractWithRules(input: ExtractionInput, config: RuleExtractorConfig): CandidateFact[] {
  const batch = new Batch(input.existingFacts)
  for (const item of input.items) {
    const factor = item.role === 'user' ? 1 : item.role === 'assistant' && config.includeAssistant ? ASSISTANT_FACTOR : 0
    if (factor === 0) continue
    for (const proposal of readItem(item, batch)) batch.add(proposal, item, factor)
  }
  return parseOrThrow(z.array(CandidateFactSchema), batch.facts(), 'extraction_failed', 'the rule extractor produced an invalid candidate')
}

function readItem(item: ExtractionItem, batch: Batch): Proposal[] {
  const out: Proposal[] = []
  const readClause = (clause: Clause): Proposal[] => {
    const meant = matchMeant(clause.text)
    if (meant !== null) {
      const resolved = batch.resolveMeant(meant.value, meant.instead, item.sessionId, out)
      return resolved === null ? [] : [resolved]
    }
    return matchClause(clause.text).map((match) => ({ match, corrective: clause.corrective || match.replaces === true }))
  }
  for (const sentence of readSentences(item.text)) {
    if (sentence.type === 'plain') {
      for (const clause of sentence.clauses) out.push(...readClause(clause))
      continue
    }
    // "Remember that …": clauses other rules recognise become those facts, the rest notes.
    const clauses = splitClauses(sentence.inner, sentence.corrective)
    const found = clauses.map(readClause)
    if (found.every((f) => f.length === 0)) {
      const note = noteMatch(stripLeadIns(sentence.inner).text)
      if (note !== null) out.push({ match: note, corrective: false })
      continue
    }
    clauses.forEach((clause, i) => {
      const facts = found[i] ?? []
      if (facts.length > 0) out.push(...facts)
      else {
        const note = noteMatch(clause.text)
        if (note !== null) out.push({ match: note, corrective: false })
      }
    })
  }
  return out
}

function noteMatch(text: string): RuleMatch | null {
  const content = toThirdPerson(text)
  if (content.split(/\s+/).length < 2 || content.length > MAX_NOTE_LENGTH) return null
  return { kind: 'note', key: null, content, object: content, confidence: NOTE_CONFIDENCE }
}

class Batch {
  readonly #emitted: Emitted[] = []
  readonly #existing: readonly ExistingFact[]
  /** Existing facts already replaced by a candidate in this batch. */
  readonly #replaced = new Set<string>()

  constructor(existing: readonly ExistingFact[]) {
    this.#existing = existing
  }

  facts(): CandidateFact[] {
    return this.#emitted.map((e) => e.fact)
  }

  /** The latest keyed candidate, or the one/existing fact mentioning `instead`, with its value swapped. */
  resolveMeant(value: string, instead: string | null, sessionId: string, pending: readonly Proposal[]): Proposal | null {
    const recent = [
      ...this.#emitted.filter((e) => e.sessionId === sessionId).map((e) => ({ fact: e.fact, object: e.object })),
      ...pending.map((p) => ({ fact: p.match, object: p.match.object })),
    ].reverse()
    const target = instead === null ? recent.find((r) => r.fact.key !== null) : recent.find((r) => mentions(r.fact.content, instead))
    if (target !== undefined) {
      const old = instead ?? target.object
      const content = replaceWord(target.fact.content, old, value)
      if (content === null || normalizeFactText(content) === normalizeFactText(target.fact.content)) return null
      return { match: { kind: target.fact.kind ?? 'note', key: target.fact.key, content, object: value, confidence: MEANT_CONFIDENCE }, corrective: true }
    }
    if (instead === null) return null
    const fact = this.#existing.find((f) => !this.#replaced.has(f.id) && mentions(f.content, instead))
    const content = fact === undefined ? null : replaceWord(fact.content, instead, value)
    if (fact === undefined || content === null) return null
    return {
      match: { kind: fact.kind ?? 'note', key: fact.key, content, object: value, confidence: MEANT_CONFIDENCE },
      corrective: true,
      replacesFactId: fact.id,
    }
  }

  add(proposal: Proposal, item: ExtractionItem, factor: number): void {
    const { match } = proposal
    let key = match.key
    const prior = key === null ? undefined : this.#latestWithKey(key)
    const sameKey = key === null ? undefined : this.#existing.find((f) => f.key === key)
    if (match.retracts === true && key !== null) {
      const holder = prior?.fact.content ?? sameKey?.content
      if (holder !== undefined && !mentions(holder, match.object)) key = null
    }

    const identity = identityOf(match.kind, key, match.content)
    const duplicate = findLast(this.#emitted, (e) => identityOf(e.fact.kind, e.fact.key, e.fact.content) === identity)
    if (duplicate !== undefined && (key === null || this.#latestWithKey(key) === duplicate)) {
      if (!duplicate.fact.sourceMessageIds.includes(item.messageId)) duplicate.fact.sourceMessageIds.push(item.messageId)
      duplicate.fact.confidence = Math.max(duplicate.fact.confidence, round(match.confidence * factor))
      return
    }

    let replacesFactId: string | null = proposal.replacesFactId ?? null
    if (replacesFactId === null && prior === undefined) replacesFactId = this.#findReplaced(match, key, proposal.corrective)
    if (replacesFactId !== null) this.#replaced.add(replacesFactId)
    this.#emitted.push({
      fact: {
        content: match.content,
        kind: match.kind,
        key,
        sourceMessageIds: [item.messageId],
        confidence: round(match.confidence * factor),
        replacesFactId,
      },
      object: match.object,
      sessionId: item.sessionId,
    })
  }

  #latestWithKey(key: string): Emitted | undefined {
    return findLast(this.#emitted, (e) => e.fact.key === key)
  }

  #findReplaced(match: RuleMatch, key: string | null, corrective: boolean): string | null {
    const open = this.#existing.filter((f) => !this.#replaced.has(f.id))
    const content = normalizeFactText(match.content)
    if (key !== null) {
      const same = open.find((f) => f.key === key)
      if (same !== undefined) {
        if (normalizeFactText(same.content) === content) return null
        if (match.retracts === true && !mentions(same.content, match.object)) return null
        return same.id
      }
    }
    if (match.retracts === true) {
      const prefix = match.slotPrefix
      const fact = open.find((f) => prefix !== undefined && normalizeFactText(f.content).startsWith(prefix) && mentions(f.content, match.object))
      return fact?.id ?? null
    }
    if (key !== null && corrective && match.kind === 'preference') {
      // An earlier keyless opinion about the same thing: "Loves Rust" before "No longer likes Rust".
      const fact = open.find((f) => f.key === null && f.kind === 'preference' && mentions(f.content, match.object))
      if (fact !== undefined && normalizeFactText(fact.content) !== content) return fact.id
    }
    const prefix = match.slotPrefix
    if (prefix === undefined || (!corrective && key === null)) return null
    const fact = open.find((f) => (f.key === null || f.key === key) && normalizeFactText(f.content).startsWith(prefix))
    return fact === undefined || normalizeFactText(fact.content) === content ? null : fact.id
  }
}

function identityOf(kind: string | null, key: string | null, content: string): string {
  return `${kind ?? ''}\u0000${key ?? ''}\u0000${normalizeFactText(content)}`
}

function replaceWord(text: string, word: string, replacement: string): string | null {
  const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(word)}(?![\\p{L}\\p{N}])`, 'iu')
  return re.test(text) ? text.replace(re, replacement) : null
}

// Array#findLast is ES2023; the project targets ES2022.
function findLast<T>(items: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]
    if (item !== undefined && test(item)) return item
  }
  return undefined
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}
