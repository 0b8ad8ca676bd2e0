import type { AgentInputItem, CallModelInputFilter } from '@openai/agents'
import { itemText } from '../session/item-text.js'
import { buildContextBlock, withContextBlock, type ContextBlockOptions, type ContextFact } from './context-block.js'

/** What a run's memory context holds: the facts recalled once at run start and the block built from them. */
export interface MemoryContext<F extends ContextFact = ContextFact> {
  facts: F[]
  /** The instructions block ('' when no fact was relevant). */
  block: string
  /**
   * A run-config filter that appends the block to every model call's instructions, whichever
   * agent (after handoffs) is running. Pass it as `run(agent, input, { callModelInputFilter })`.
   */
  callModelInputFilter: CallModelInputFilter
}

export interface PrepareMemoryContextInput<F extends ContextFact> {
  /** The run's new input, as given to `run()`. */
  input: string | AgentInputItem[]
  /** Recent transcript items to widen the query with (e.g. the last two turns). */
  recentItems?: AgentInputItem[]
  /** Recalls facts for a query; bound to one `(userId, namespace)` by the caller. */
  recall: (query: string) => Promise<F[]>
  block?: ContextBlockOptions
  /** A filter of your own to run before ours. */
  callModelInputFilter?: CallModelInputFilter | undefined
}

/**
 * Recalls once for a run and returns a filter that injects the result into every model call.
 * Recall happens here, at run start, not once per model call: tool loops and handoffs reuse it.
 */
export async function prepareMemoryContext<F extends ContextFact>(
  request: PrepareMemoryContextInput<F>,
): Promise<MemoryContext<F>> {
  const query = queryText(request.input, request.recentItems ?? [])
  const facts = query ? await request.recall(query) : []
  const block = buildContextBlock(facts, request.block)
  const inner = request.callModelInputFilter
  const callModelInputFilter: CallModelInputFilter = async (args) => {
    const modelData = inner ? await inner(args) : args.modelData
    if (!block) return modelData
    const instructions = withContextBlock(modelData.instructions, block)
    return instructions === undefined ? modelData : { ...modelData, instructions }
  }
  return { facts, block, callModelInputFilter }
}

/** The text to recall with: the new input first, then recent user and assistant turns. */
export function queryText(input: string | AgentInputItem[], recentItems: AgentInputItem[]): string {
  const parts: string[] = []
  const fromItems = (items: AgentInputItem[]) =>
    items
      .map((item) => itemText(item))
      .filter((t) => (t.role === 'user' || t.role === 'assistant') && t.text.trim())
      .map((t) => t.text.trim())
  if (typeof input === 'string') parts.push(input.trim())
  else parts.push(...fromItems(input))
  parts.push(...fromItems(recentItems))
  return parts.filter(Boolean).join('\n').slice(0, 8_000)
}
