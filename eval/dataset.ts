/**
 * The evaluation dataset: conversations to import into a memory, and questions to ask it.
 *
 * One conversation per user; each holds dated sessions of user/assistant turns and questions whose
 * `evidence` names the user turns that answer them. `parseDataset` checks the shape with zod and
 * then the cross-references zod cannot see (unique ids, evidence that exists and is a user turn,
 * sessions in date order), and reports every problem at once with its JSON path.
 */
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { locateJsonError } from './locate-json-error.js'

export const EVAL_CATEGORIES = ['single-hop', 'multi-hop', 'temporal', 'knowledge-update', 'abstention'] as const

/** The answer every abstention question carries: the memory should find nothing. */
export const ABSTENTION_ANSWER = 'not mentioned'

const Id = z
  .string()
  .min(1, 'must not be empty')
  .max(64)
  // optional group: an empty id gets only the 'must not be empty' message
  .regex(/^(?:[A-Za-z0-9][A-Za-z0-9._:-]*)?$/, 'must start with a letter or digit and use only letters, digits, ".", "_", ":" or "-"')

const Text = (max: number) => z.string().max(max).refine((s) => s.trim().length > 0, 'must not be blank')

export const EvalCategorySchema = z.enum(EVAL_CATEGORIES)

export const EvalTurnSchema = z.strictObject({
  id: Id,
  role: z.enum(['user', 'assistant']),
  text: Text(4000),
})

export const EvalSessionSchema = z.strictObject({
  id: Id,
  /** When the session took place; relative dates in its turns ("yesterday") resolve against it. */
  at: z.iso.datetime({ offset: true }),
  turns: z.array(EvalTurnSchema).min(1).max(200),
})

export const EvalQuestionSchema = z.strictObject({
  id: Id,
  question: Text(500),
  /** The gold answer; for `knowledge-update` the current value, for `abstention` "not mentioned". */
  answer: Text(300),
  /** User turn ids that together answer the question; empty only for `abstention`. */
  evidence: z.array(Id).max(20),
  category: EvalCategorySchema,
  /** `knowledge-update` only: user turn ids that held the value the evidence later replaced. */
  stale: z.array(Id).min(1).max(20).optional(),
  /** `knowledge-update` only: the replaced value, so a harness can check it ranks below the current one. */
  staleAnswer: Text(300).optional(),
})

export const EvalConversationSchema = z.strictObject({
  id: Id,
  userId: Id,
  sessions: z.array(EvalSessionSchema).min(1).max(500),
  questions: z.array(EvalQuestionSchema).max(5000),
})

export const EvalDatasetSchema = z.strictObject({
  conversations: z.array(EvalConversationSchema).min(1).max(10_000),
})

export type EvalCategory = z.infer<typeof EvalCategorySchema>
export type EvalTurn = z.infer<typeof EvalTurnSchema>
export type EvalSession = z.infer<typeof EvalSessionSchema>
export type EvalQuestion = z.infer<typeof EvalQuestionSchema>
export type EvalConversation = z.infer<typeof EvalConversationSchema>
export type EvalDataset = z.infer<typeof EvalDatasetSchema>

export type DatasetErrorCode = 'read_failed' | 'invalid_json' | 'invalid_dataset'

/** One problem in a dataset: where (`conversations[2].questions[14].evidence[0]`) and what. */
export type DatasetIssue = { path: string; message: string }

/** Thrown by `loadDataset` / `parseDataset`; `message` lists every issue with its path. */
export class DatasetError extends Error {
  readonly code: DatasetErrorCode
  readonly source: string
  readonly issues: readonly DatasetIssue[]

  constructor(code: DatasetErrorCode, source: string, issues: DatasetIssue[], opts: { cause?: unknown } = {}) {
    super(formatIssues(source, issues), { cause: opts.cause })
    this.name = new.target.name
    this.code = code
    this.source = source
    this.issues = issues
  }
}

function formatIssues(source: string, issues: DatasetIssue[]): string {
  if (issues.length === 1 && issues[0]) return `${source}: ${formatIssue(issues[0])}`
  return `${source}: ${issues.length} problems\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`
}

const formatIssue = (issue: DatasetIssue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)

/** `['conversations', 2, 'questions']` → `conversations[2].questions`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('')
}

/**
 * Reads and validates a dataset file.
 * @throws DatasetError `read_failed`, `invalid_json` (with line and column) or `invalid_dataset`
 */
export async function loadDataset(path: string): Promise<EvalDataset> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(cause)
    throw new DatasetError('read_failed', path, [{ path: '', message: `cannot read dataset: ${reason}` }], { cause })
  }
  return parseDataset(parseJson(text, path), path)
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    const at = locateJsonError(text)
    const where = at ? `line ${at.line}, column ${at.column}` : 'an unknown position'
    // V8 appends a snippet or an offset; line and column already say where
    const reason = (cause as Error).message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
    throw new DatasetError('invalid_json', source, [{ path: '', message: `invalid JSON at ${where}: ${reason}` }], { cause })
  }
}

/**
 * Validates an already-parsed dataset. `source` names it in error messages (a file path).
 * @throws DatasetError `invalid_dataset` listing every shape and cross-reference problem
 */
export function parseDataset(json: unknown, source = 'dataset'): EvalDataset {
  const parsed = EvalDatasetSchema.safeParse(json)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))
    throw new DatasetError('invalid_dataset', source, issues, { cause: parsed.error })
  }
  const issues = checkReferences(parsed.data)
  if (issues.length > 0) throw new DatasetError('invalid_dataset', source, issues)
  return parsed.data
}

function checkReferences(dataset: EvalDataset): DatasetIssue[] {
  const issues: DatasetIssue[] = []
  const report = (path: string, message: string) => issues.push({ path, message })
  const conversationIds = new Map<string, number>()
  const userIds = new Map<string, number>()

  dataset.conversations.forEach((conversation, ci) => {
    const at = `conversations[${ci}]`
    const cid = conversation.id
    checkUnique(conversationIds, cid, ci, `${at}.id`, 'conversation id', 'conversations', report)
    // a harness imports each conversation as one user's memory; two would mix their facts
    checkUnique(userIds, conversation.userId, ci, `${at}.userId`, 'userId', 'conversations', report)

    const turns = new Map<string, { role: EvalTurn['role']; order: number }>()
    const turnSeen = new Map<string, string>()
    const sessionSeen = new Map<string, number>()
    let order = 0
    let previous: { at: string; time: number; index: number } | undefined
    conversation.sessions.forEach((session, si) => {
      const sat = `${at}.sessions[${si}]`
      checkUnique(sessionSeen, session.id, si, `${sat}.id`, 'session id', `${at}.sessions`, report)
      const time = Date.parse(session.at)
      if (previous && time <= previous.time) {
        report(`${sat}.at`, `session "${session.id}" at ${session.at} is not after sessions[${previous.index}] at ${previous.at}; sessions must be in chronological order`)
      }
      previous = { at: session.at, time, index: si }
      session.turns.forEach((turn, ti) => {
        const path = `${sat}.turns[${ti}].id`
        const first = turnSeen.get(turn.id)
        if (first) report(path, `duplicate turn id "${turn.id}" in conversation "${cid}" (first at ${first})`)
        else {
          turnSeen.set(turn.id, path)
          turns.set(turn.id, { role: turn.role, order: order++ })
        }
      })
    })

    const questionSeen = new Map<string, number>()
    conversation.questions.forEach((q, qi) => {
      const qat = `${at}.questions[${qi}]`
      checkUnique(questionSeen, q.id, qi, `${qat}.id`, 'question id', `${at}.questions`, report)
      const checkTurnRefs = (field: 'evidence' | 'stale', ids: readonly string[]) => {
        const seen = new Set<string>()
        ids.forEach((id, i) => {
          const path = `${qat}.${field}[${i}]`
          const turn = turns.get(id)
          if (seen.has(id)) report(path, `turn "${id}" is listed twice`)
          seen.add(id)
          if (!turn) report(path, `turn "${id}" does not exist in conversation "${cid}"`)
          else if (turn.role !== 'user') report(path, `turn "${id}" is an ${turn.role} turn; ${field} must point at user turns`)
        })
      }
      checkTurnRefs('evidence', q.evidence)
      if (q.stale) checkTurnRefs('stale', q.stale)

      if (q.category === 'abstention') {
        if (q.evidence.length > 0) report(`${qat}.evidence`, `abstention question "${q.id}" must have no evidence (got ${q.evidence.length})`)
        if (q.answer !== ABSTENTION_ANSWER) report(`${qat}.answer`, `abstention question "${q.id}" must answer "${ABSTENTION_ANSWER}" (got "${q.answer}")`)
      } else if (q.evidence.length === 0) {
        report(`${qat}.evidence`, `${q.category} question "${q.id}" needs at least one evidence turn`)
      }

      if (q.category === 'knowledge-update') {
        if (!q.stale) report(qat, `knowledge-update question "${q.id}" needs "stale" (the turn ids holding the old value)`)
        if (q.staleAnswer === undefined) report(qat, `knowledge-update question "${q.id}" needs "staleAnswer" (the old value)`)
        if (q.stale) {
          const overlap = q.stale.filter((id) => q.evidence.includes(id))
          if (overlap.length > 0) report(`${qat}.stale`, `turn "${overlap[0]}" is both evidence and stale`)
          const newest = Math.max(...q.evidence.map((id) => turns.get(id)?.order ?? -1))
          const late = q.stale.find((id) => (turns.get(id)?.order ?? -1) > newest)
          if (late && newest >= 0) report(`${qat}.stale`, `stale turn "${late}" comes after the evidence; the old value must precede the current one`)
        }
      } else {
        if (q.stale) report(`${qat}.stale`, `only knowledge-update questions have "stale" (this one is ${q.category})`)
        if (q.staleAnswer !== undefined) report(`${qat}.staleAnswer`, `only knowledge-update questions have "staleAnswer" (this one is ${q.category})`)
      }
    })
  })
  return issues
}

function checkUnique(
  seen: Map<string, number>,
  id: string,
  index: number,
  path: string,
  what: string,
  list: string,
  report: (path: string, message: string) => void,
) {
  const first = seen.get(id)
  if (first === undefined) seen.set(id, index)
  else report(path, `duplicate ${what} "${id}" (first used by ${list}[${first}])`)
}

export type DatasetSummary = {
  users: number
  conversations: number
  sessions: number
  turns: number
  userTurns: number
  questions: number
  questionsByCategory: Record<EvalCategory, number>
  firstSessionAt: string
  lastSessionAt: string
}

/** Counts for a summary line: users, sessions, turns, questions per category, date range. */
export function describeDataset(dataset: EvalDataset): DatasetSummary {
  const questionsByCategory = Object.fromEntries(EVAL_CATEGORIES.map((c) => [c, 0])) as Record<EvalCategory, number>
  const sessions = dataset.conversations.flatMap((c) => c.sessions)
  const turns = sessions.flatMap((s) => s.turns)
  const questions = dataset.conversations.flatMap((c) => c.questions)
  for (const q of questions) questionsByCategory[q.category] += 1
  const dates = sessions.map((s) => s.at).sort((a, b) => Date.parse(a) - Date.parse(b))
  return {
    users: new Set(dataset.conversations.map((c) => c.userId)).size,
    conversations: dataset.conversations.length,
    sessions: sessions.length,
    turns: turns.length,
    userTurns: turns.filter((t) => t.role === 'user').length,
    questions: questions.length,
    questionsByCategory,
    firstSessionAt: dates[0] ?? '',
    lastSessionAt: dates.at(-1) ?? '',
  }
}
