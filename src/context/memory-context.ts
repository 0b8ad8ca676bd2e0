import type { AgentInputItem, CallModelInputFilter, Trace } from '@openai/agents'
import { itemText } from '../session/item-text.js'
import type { SearchHit } from '../recall/search.js'
import {
  layoutContextBlock,
  withContextBlock,
  type ContextBlockOptions,
  type ContextExcerpt,
  type ContextFact,
  type ContextMemory,
} from './context-block.js'
import { recallSpanData, startRecallSpan, type RecallTraceConfig, type TracedExcerpt, type TracedFact } from './recall-span.js'

/** What a run's memory context holds: the facts and excerpts recalled once at run start and the block built from them. */
export interface MemoryContext<F extends ContextFact = ContextFact> {
  facts: F[]
  /** Excerpts of earlier conversations (empty when only facts were recalled). */
  excerpts: ContextExcerpt[]
  /** The instructions block ('' when nothing was relevant). */
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
  /** Recalls facts (or facts and excerpts) for a query; bound to one `(userId, namespace)` by the caller. */
  recall: (query: string) => Promise<F[] | ContextMemory<F>>
  block?: ContextBlockOptions
  /** A filter of your own to run before ours. */
  callModelInputFilter?: CallModelInputFilter | undefined
  /** Records the recall as a `factline.recall` span in the current trace (or `parent`). */
  trace?: RecallTraceRequest | undefined
}

/** What the recall span needs besides the recall itself. */
export interface RecallTraceRequest {
  config: RecallTraceConfig
  userId: string
  namespace: string
  sessionId?: string | undefined
  /** The trace to record in when it is not the current one: a resumed run's. */
  parent?: Trace | null | undefined
}

/**
 * Recalls once for a run and returns a filter that injects the result into every model call.
 * Recall happens here, at run start, not once per model call: tool loops and handoffs reuse it.
 */
export async function prepareMemoryContext<F extends ContextFact>(
  request: PrepareMemoryContextInput<F>,
): Promise<MemoryContext<F>> {
  const query = queryText(request.input, request.recentItems ?? [])
  const span = request.trace ? await startRecallSpan(request.trace.config, request.trace.parent) : undefined
  let facts: F[]
  let excerpts: ContextExcerpt[]
  let block: string
  try {
    const recalled = query ? await request.recall(query) : []
    facts = Array.isArray(recalled) ? [...recalled] : [...recalled.facts]
    excerpts = Array.isArray(recalled) ? [] : [...(recalled.excerpts ?? [])]
    const layout = layoutContextBlock({ facts, excerpts }, request.block)
    block = layout.text
    if (span && request.trace) {
      span.spanData.data = recallSpanData({
        ...request.trace,
        query,
        facts,
        excerpts,
        layout,
        maxTokens: request.block?.maxTokens,
      })
    }
  } catch (error) {
    span?.setError({ message: 'recall failed', data: { code: (error as { code?: unknown }).code ?? null } })
    throw error
  } finally {
    span?.end()
  }
  const inner = request.callModelInputFilter
  const callModelInputFilter: CallModelInputFilter = async (args) => {
    const modelData = inner ? await inner(args) : args.modelData
    if (!block) return modelData
    const instructions = withContextBlock(modelData.instructions, block)
    return instructions === undefined ? modelData : { ...modelData, instructions }
  }
  return { facts, excerpts, block, callModelInputFilter }
}

/** Splits `searchMemory` hits into the block's two sections, keeping each one's order, score parts and sources. */
export function contextFromHits(hits: readonly SearchHit[]): ContextMemory<TracedFact & { score: number }> & {
  excerpts: TracedExcerpt[]
} {
  const facts: Array<TracedFact & { score: number }> = []
  const excerpts: TracedExcerpt[] = []
  for (const hit of hits) {
    const traced = { score: hit.score, similarity: hit.similarity, sources: hit.sources }
    if (hit.type === 'fact') facts.push({ id: hit.id, content: hit.text, validFrom: hit.at, ...traced })
    else excerpts.push({ id: hit.id, text: hit.text, at: hit.at, sessionId: hit.sessionId, replyTo: hit.replyTo, ...traced })
  }
  return { facts, excerpts }
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
