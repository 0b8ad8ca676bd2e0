/**
 * `npm run eval -- --answer`: a model answers each question from the context block factline would
 * inject (fused search), and each answer is judged against the gold one by normalized string
 * match (`judgeAnswer`), so the score is reproducible and costs one model call per question.
 */
import type OpenAI from 'openai'
import type { EvalCategory } from './dataset.js'
import { ABSTENTION_ANSWER } from './dataset.js'

/** The model that answers, and the client that reaches it. */
export interface Answerer {
  client: OpenAI
  model: string
}

export const DEFAULT_ANSWER_MODEL = 'gpt-4o-mini'

const INSTRUCTIONS =
  'You answer questions about a user from what a memory system recalled about them. Use only the memory ' +
  `given. Reply with the answer alone, in as few words as possible. If the memory does not say, reply "${ABSTENTION_ANSWER}".`

/** Asks the model to answer `question` from `context` (the block factline would inject). */
export async function answerFromContext(answerer: Answerer, question: string, context: string): Promise<string> {
  const completion = await answerer.client.chat.completions.create({
    model: answerer.model,
    temperature: 0,
    messages: [
      { role: 'system', content: INSTRUCTIONS },
      { role: 'user', content: `${context || '(the memory recalled nothing)'}\n\nQuestion: ${question}` },
    ],
  })
  const message = completion.choices[0]?.message
  return message?.content ?? message?.refusal ?? ''
}

const ARTICLES = new Set(['a', 'an', 'the'])
const NOT_KNOWN = /\b(?:not mentioned|does not say|doesn t say|no information|not (?:stated|specified|known)|unknown|i don t know|cannot tell|can t tell)\b/

/** Lowercase, accents and punctuation removed, articles dropped, whitespace collapsed. */
export function normalizeAnswer(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((w) => w !== '' && !ARTICLES.has(w))
    .join(' ')
}

/**
 * Normalized string match: an abstention is right when the model says the memory does not know; any
 * other answer is right when the normalized gold answer appears in the normalized reply, or every
 * word of it does (in any order). A reply that also says it does not know is wrong.
 */
export function judgeAnswer(gold: string, reply: string, category: EvalCategory): boolean {
  const said = normalizeAnswer(reply)
  const unknown = NOT_KNOWN.test(said)
  if (category === 'abstention' || gold.trim().toLowerCase() === ABSTENTION_ANSWER) return unknown
  if (unknown) return false
  const expected = normalizeAnswer(gold)
  if (expected === '') return false
  if (` ${said} `.includes(` ${expected} `)) return true
  const words = new Set(said.split(' '))
  return expected.split(' ').every((w) => words.has(w))
}
