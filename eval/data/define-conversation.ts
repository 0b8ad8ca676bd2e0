/**
 * Authoring helpers for the conversation sources in `conversations/`: turns and questions are
 * written with short keys (`user('dog', '…')`, `single('…', 'Biscuit', 'dog')`) and numbered
 * into the dataset's ids (`c1-s2-t5`, `c1-q14`) here, so inserting a turn never shifts evidence.
 */
import type { EvalCategory, EvalConversation, EvalQuestion, EvalSession } from '../dataset.js'

type TurnSource = { role: 'user' | 'assistant'; key?: string; text: string }
type SessionSource = { at: string; turns: TurnSource[] }
type QuestionSource = {
  category: EvalCategory
  question: string
  answer: string
  evidence: string[]
  stale?: string[]
  staleAnswer?: string
}

/** A user turn; `key` is how questions in the same file refer to it. */
export const user = (key: string, text: string): TurnSource => ({ role: 'user', key, text })
export const assistant = (text: string): TurnSource => ({ role: 'assistant', text })
export const session = (at: string, turns: TurnSource[]): SessionSource => ({ at, turns })

export const single = (question: string, answer: string, ...evidence: string[]): QuestionSource =>
  ({ category: 'single-hop', question, answer, evidence })
export const multi = (question: string, answer: string, ...evidence: string[]): QuestionSource =>
  ({ category: 'multi-hop', question, answer, evidence })
export const temporal = (question: string, answer: string, ...evidence: string[]): QuestionSource =>
  ({ category: 'temporal', question, answer, evidence })
export const abstain = (question: string): QuestionSource =>
  ({ category: 'abstention', question, answer: 'not mentioned', evidence: [] })
/** A knowledge-update question: the current value and its turns, then the old value and its turns. */
export const update = (
  question: string,
  answer: string,
  evidence: string[],
  staleAnswer: string,
  stale: string[],
): QuestionSource => ({ category: 'knowledge-update', question, answer, evidence, stale, staleAnswer })

/** Numbers the sessions, turns and questions of one conversation and resolves keys to turn ids. */
export function defineConversation(source: {
  id: string
  userId: string
  sessions: SessionSource[]
  questions: QuestionSource[]
}): EvalConversation {
  const ids = new Map<string, string>()
  const sessions: EvalSession[] = source.sessions.map((s, si) => {
    const sid = `${source.id}-s${si + 1}`
    return {
      id: sid,
      at: s.at,
      turns: s.turns.map((t, ti) => {
        const id = `${sid}-t${ti + 1}`
        if (t.key !== undefined) {
          if (ids.has(t.key)) throw new Error(`${source.id}: turn key "${t.key}" used twice`)
          ids.set(t.key, id)
        }
        return { id, role: t.role, text: t.text }
      }),
    }
  })
  const resolve = (key: string) => {
    const id = ids.get(key)
    if (!id) throw new Error(`${source.id}: no turn with key "${key}"`)
    return id
  }
  const questions: EvalQuestion[] = source.questions.map((q, qi) => ({
    id: `${source.id}-q${qi + 1}`,
    question: q.question,
    answer: q.answer,
    evidence: q.evidence.map(resolve),
    category: q.category,
    ...(q.stale ? { stale: q.stale.map(resolve) } : {}),
    ...(q.staleAnswer !== undefined ? { staleAnswer: q.staleAnswer } : {}),
  }))
  return { id: source.id, userId: source.userId, sessions, questions }
}
