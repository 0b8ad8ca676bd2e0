import { z } from 'zod'
import { countTokens, estimateTokens, TokenEstimatorSchema } from '../estimate-tokens.js'
import { parseOrThrow } from '../errors.js'

/** The slice of a recalled fact the context block shows. */
export interface ContextFact {
  id: string
  content: string
  validFrom: Date
}

export const ContextBlockOptionsSchema = z.strictObject({
  /**
   * Most tokens the block may add to the instructions, as `estimateTokens` counts them.
   * @defaultValue 400
   */
  maxTokens: z.number().int().min(20).max(20_000).default(400),
  /** Heading of the block. @defaultValue 'What you know about this user' */
  heading: z.string().min(1).max(200).default('What you know about this user'),
  /** Counts a text's tokens, e.g. with a real tokenizer. @defaultValue one per four characters */
  estimateTokens: TokenEstimatorSchema.default(() => estimateTokens),
})
export type ContextBlockOptions = z.input<typeof ContextBlockOptionsSchema>

/**
 * Formats recalled facts (best first) as an instructions block: each fact with its id and date,
 * as many as fit in `maxTokens`. Returns '' when there is nothing to say, so callers can leave the
 * instructions exactly as they were.
 */
export function buildContextBlock(facts: readonly ContextFact[], options: ContextBlockOptions = {}): string {
  const o = parseOrThrow(ContextBlockOptionsSchema, options, 'invalid_config', 'Invalid context options')
  if (facts.length === 0) return ''
  const header =
    `## ${o.heading}\n` +
    'Facts remembered from earlier conversations with this user, most relevant first. ' +
    'They may be out of date: what the user says now wins. Cite a fact by its id if asked why you believe it.\n'
  let block = header
  let shown = 0
  for (const fact of facts) {
    const line = `- [${fact.id} · ${fact.validFrom.toISOString().slice(0, 10)}] ${oneLine(fact.content)}\n`
    if (countTokens(o.estimateTokens, block + line, 'the context block') > o.maxTokens) break
    block += line
    shown++
  }
  return shown === 0 ? '' : block.trimEnd()
}

/** Appends the block to the agent's own instructions; with no block they stay exactly as given. */
export function withContextBlock(instructions: string | undefined, block: string): string | undefined {
  if (!block) return instructions
  return instructions ? `${instructions}\n\n${block}` : block
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
