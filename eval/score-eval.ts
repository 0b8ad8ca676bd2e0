/**
 * Scoring of one search result against a question, and the aggregation into the report: pure
 * functions, so the harness's arithmetic is tested without a database (test/unit/eval).
 */
import type { EvalCategory, EvalQuestion } from './dataset.js'
import { ABSTENTION_ANSWER } from './dataset.js'

/** The three ways a question is searched: facts only, excerpts only, and both fused. */
export const EVAL_MODES = ['facts', 'excerpts', 'fused'] as const
export type EvalMode = (typeof EVAL_MODES)[number]

/** The slice of a search hit scoring needs. */
export interface ScoredHit {
  text: string
  sources: ReadonlyArray<{ messageId: number }>
}

/** How one question fared in one mode. */
export interface QuestionScore {
  /** A hit's sources include an evidence turn; null when the question has no evidence (abstention). */
  evidenceHit: boolean | null
  /** The gold answer (≤ 4 words) is a case-insensitive substring of the top-k texts; null when not scored. */
  answerHit: boolean | null
  /** Knowledge updates: the current value's evidence ranks above the stale turn; null otherwise. */
  currentAboveStale: boolean | null
  /** Tokens the context block built from these hits would add to the instructions. */
  tokens: number
  hits: number
}

/** Gold answers this short are checked as substrings; longer ones are phrased too freely to match. */
export const MAX_ANSWER_WORDS = 4

/**
 * Scores one question's hits. `messageIdOf` maps the dataset's turn ids to the message ids the
 * import stored, which is what hits cite in their `sources`.
 */
export function scoreQuestion(
  question: EvalQuestion,
  hits: readonly ScoredHit[],
  messageIdOf: (turnId: string) => number | undefined,
  tokens: number,
): QuestionScore {
  const ids = (turns: readonly string[]) => new Set(turns.flatMap((t) => messageIdOf(t) ?? []))
  const evidence = ids(question.evidence)
  const rankOf = (wanted: Set<number>) => {
    const i = hits.findIndex((h) => h.sources.some((s) => wanted.has(s.messageId)))
    return i < 0 ? Infinity : i
  }
  const answer = question.answer.trim().toLowerCase()
  const scoredAnswer =
    question.category !== 'abstention' && answer !== ABSTENTION_ANSWER && answer.split(/\s+/).length <= MAX_ANSWER_WORDS
  const text = hits.map((h) => h.text.toLowerCase()).join('\n')
  let currentAboveStale: boolean | null = null
  if (question.category === 'knowledge-update' && question.stale) {
    const current = rankOf(evidence)
    currentAboveStale = current !== Infinity && current < rankOf(ids(question.stale))
  }
  return {
    evidenceHit: evidence.size > 0 ? rankOf(evidence) !== Infinity : null,
    answerHit: scoredAnswer ? text.includes(answer) : null,
    currentAboveStale,
    tokens,
    hits: hits.length,
  }
}

/** A mode's figures over a set of questions; rates are fractions of the questions they apply to. */
export interface ModeSummary {
  evidenceHit: number | null
  answerHit: number | null
  currentAboveStale: number | null
  meanTokens: number
  meanHits: number
}

const rate = (values: ReadonlyArray<boolean | null>): number | null => {
  const scored = values.filter((v): v is boolean => v !== null)
  return scored.length === 0 ? null : scored.filter(Boolean).length / scored.length
}
const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length)

export function summarise(scores: readonly QuestionScore[]): ModeSummary {
  return {
    evidenceHit: rate(scores.map((s) => s.evidenceHit)),
    answerHit: rate(scores.map((s) => s.answerHit)),
    currentAboveStale: rate(scores.map((s) => s.currentAboveStale)),
    meanTokens: mean(scores.map((s) => s.tokens)),
    meanHits: mean(scores.map((s) => s.hits)),
  }
}

/** One scored question: its category and its score in each mode run. */
export interface ScoredQuestion {
  category: EvalCategory
  scores: Partial<Record<EvalMode, QuestionScore>>
  /** `--answer`: whether the model's answer from the fused context matched the gold answer. */
  answered?: boolean | undefined
}

/** `--answer`: accuracy of the model's answers from the fused context, overall and per category. */
export interface AnsweringSummary {
  model: string
  judge: 'normalized-match'
  overall: number
  categories: Record<string, number>
}

/** The `--json` report: `{ k, overall, categories, factsPerUserTurn }` (issue 12). */
export interface EvalReport {
  k: number
  overall: Partial<Record<EvalMode, ModeSummary>>
  categories: Record<string, { questions: number } & Partial<Record<EvalMode, ModeSummary>>>
  factsPerUserTurn: number
  answering?: AnsweringSummary
}

export function buildReport(
  k: number,
  modes: readonly EvalMode[],
  scored: readonly ScoredQuestion[],
  factsPerUserTurn: number,
  answerModel?: string,
): EvalReport {
  const byMode = (items: readonly ScoredQuestion[]) =>
    Object.fromEntries(modes.map((m) => [m, summarise(items.flatMap((q) => q.scores[m] ?? []))])) as Partial<Record<EvalMode, ModeSummary>>
  const categories: EvalReport['categories'] = {}
  for (const category of [...new Set(scored.map((q) => q.category))]) {
    const items = scored.filter((q) => q.category === category)
    categories[category] = { questions: items.length, ...byMode(items) }
  }
  const report: EvalReport = { k, overall: byMode(scored), categories, factsPerUserTurn }
  if (answerModel !== undefined) {
    const accuracy = (items: readonly ScoredQuestion[]) => rate(items.map((q) => q.answered ?? null)) ?? 0
    report.answering = {
      model: answerModel,
      judge: 'normalized-match',
      overall: accuracy(scored),
      categories: Object.fromEntries(Object.keys(categories).map((c) => [c, accuracy(scored.filter((q) => q.category === c))])),
    }
  }
  return report
}

/** The report as a Markdown table: one row per category and overall, three figures per mode. */
export function formatReport(report: EvalReport, modes: readonly EvalMode[]): string {
  const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`)
  const header = ['category', 'questions', ...modes.flatMap((m) => [`${m} evidence@${report.k}`, `${m} answer`, `${m} tokens`])]
  const row = (name: string, questions: number, s: Partial<Record<EvalMode, ModeSummary>>) => [
    name,
    String(questions),
    ...modes.flatMap((m) => {
      const x = s[m]
      return x ? [pct(x.evidenceHit), pct(x.answerHit), x.meanTokens.toFixed(0)] : ['–', '–', '–']
    }),
  ]
  const total = Object.values(report.categories).reduce((n, c) => n + c.questions, 0)
  const rows = [
    ...Object.entries(report.categories).map(([name, c]) => row(name, c.questions, c)),
    row('**overall**', total, report.overall),
  ]
  const lines = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`)
  const ku = report.categories['knowledge-update']
  const notes = [
    `facts per user turn: ${report.factsPerUserTurn.toFixed(3)}`,
    ...(ku ? [`knowledge-update, current value's evidence above the stale turn: ${modes.map((m) => `${m} ${pct(ku[m]?.currentAboveStale ?? null)}`).join(', ')}`] : []),
  ]
  const answering = report.answering
  if (answering) {
    const perCategory = Object.entries(answering.categories).map(([c, v]) => `${c} ${pct(v)}`)
    notes.push(`answer accuracy (${answering.model}, fused context, ${answering.judge}): overall ${pct(answering.overall)}; ${perCategory.join(', ')}`)
  }
  return [...lines, '', ...notes].join('\n')
}
