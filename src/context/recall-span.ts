import { createHash } from 'node:crypto'
import { createCustomSpan, getCurrentTrace, type CustomSpanData, type Span, type Trace } from '@openai/agents'
import { z } from 'zod'
import { parseOrThrow } from '../errors.js'
import type { ContextBlockLayout, ContextExcerpt, ContextFact } from './context-block.js'

/** Name of the custom span every memory run records in its trace. */
export const RECALL_SPAN_NAME = 'factline.recall'

/** The SDK's id for spans and traces that record nothing (tracing disabled). */
const NOOP_ID = 'no-op'

export const RecallTraceOptionsSchema = z.strictObject({
  /** Record a `factline.recall` span in the run's trace (when the Agents SDK traces at all). @defaultValue true */
  trace: z.boolean().default(true),
  /**
   * How much text the span holds: `ids` keeps ids, scores, sources and times but no text (no
   * query, no fact content, no excerpt); `full` adds them.
   * @defaultValue 'ids'
   */
  traceContent: z.enum(['ids', 'full']).default('ids'),
  /** The user id in the span: `hash` (a SHA-256 prefix, pseudonymous), `raw`, or `omit`. @defaultValue 'hash' */
  traceUserId: z.enum(['hash', 'raw', 'omit']).default('hash'),
})
/** Options of the recall span, for `createMemory({ context })`, `memory.run` and `memory.context`. */
export type RecallTraceOptions = z.input<typeof RecallTraceOptionsSchema>
export type RecallTraceConfig = z.output<typeof RecallTraceOptionsSchema>

/**
 * A call's trace options over the memory's defaults, validated.
 * @throws FactlineError `invalid_argument` for an unknown value.
 */
export function resolveRecallTrace(defaults: RecallTraceConfig, call: RecallTraceOptions): RecallTraceConfig {
  const { trace, traceContent, traceUserId } = defaults
  const given = Object.fromEntries(Object.entries(call).filter(([, v]) => v !== undefined))
  return parseOrThrow(RecallTraceOptionsSchema, { trace, traceContent, traceUserId, ...given }, 'invalid_argument', 'Invalid trace options')
}

/** A transcript message an item comes from. */
export interface TracedSource {
  sessionId: string
  messageId: number
  at: Date
}

/** Score parts and provenance a recalled fact may carry besides what the block shows. */
export interface TracedFact extends ContextFact {
  score?: number
  similarity?: number | null
  sources?: readonly TracedSource[]
}

/** Score parts and provenance a recalled excerpt may carry besides what the block shows. */
export interface TracedExcerpt extends ContextExcerpt {
  id?: string
  score?: number
  similarity?: number | null
  sources?: readonly TracedSource[]
}

/** Who and what a recall was for. */
export interface RecallSpanInput {
  config: RecallTraceConfig
  userId: string
  namespace: string
  /** The running session, whose own excerpts recall leaves out. */
  sessionId?: string | undefined
  query: string
  facts: readonly TracedFact[]
  excerpts: readonly TracedExcerpt[]
  layout: ContextBlockLayout
  maxTokens?: number | undefined
}

/**
 * Starts the recall span under `parent` (a resumed run's trace) or the current trace. Returns
 * undefined, so that nothing is computed or recorded, when the option is off, there is no trace,
 * or tracing is disabled (the SDK then hands out no-op traces and spans).
 */
export function startRecallSpan(config: RecallTraceConfig, parent?: Trace | null): Span<CustomSpanData> | undefined {
  if (!config.trace) return undefined
  const trace = parent ?? getCurrentTrace()
  if (!trace || trace.traceId === NOOP_ID) return undefined
  const span = createCustomSpan({ data: { name: RECALL_SPAN_NAME, data: {} } }, parent ?? undefined)
  if (span.spanId === NOOP_ID) return undefined
  span.start()
  return span
}

/**
 * The span's data: the query (or its length), the user and namespace, each injected item with its
 * id, score parts, validity and sources, the items the token budget left out, and the block's size.
 * JSON only (dates as ISO strings), as trace exporters send it.
 */
export function recallSpanData(input: RecallSpanInput): Record<string, unknown> {
  const { config, layout } = input
  const full = config.traceContent === 'full'
  const fact = (f: TracedFact) => ({
    type: 'fact',
    id: f.id,
    ...scoreParts(f),
    validFrom: f.validFrom.toISOString(),
    sources: (f.sources ?? []).map(source),
    ...(full ? { text: f.content } : {}),
  })
  const excerpt = (e: TracedExcerpt) => ({
    type: 'excerpt',
    ...(e.id !== undefined ? { id: e.id } : {}),
    ...scoreParts(e),
    sources: (e.sources ?? []).map(source),
    ...(full ? { text: e.text } : {}),
  })
  return {
    ...userField(input.userId, config.traceUserId),
    namespace: input.namespace,
    ...(input.sessionId !== undefined ? { sessionId: input.sessionId } : {}),
    ...(full ? { query: input.query } : { queryChars: input.query.length }),
    content: config.traceContent,
    injected: [...input.facts.slice(0, layout.facts).map(fact), ...input.excerpts.slice(0, layout.excerpts).map(excerpt)],
    leftOutByBudget: [...input.facts.slice(layout.facts).map(fact), ...input.excerpts.slice(layout.excerpts).map(excerpt)],
    blockTokens: layout.tokens,
    ...(input.maxTokens !== undefined ? { maxTokens: input.maxTokens } : {}),
  }
}

/** How the span names the user: personal ids need not leave the app. */
function userField(userId: string, mode: RecallTraceConfig['traceUserId']): Record<string, string> {
  if (mode === 'omit') return {}
  if (mode === 'raw') return { userId }
  return { userIdHash: `sha256:${createHash('sha256').update(userId).digest('hex').slice(0, 32)}` }
}

function scoreParts(item: { score?: number; similarity?: number | null }) {
  return {
    ...(item.score !== undefined ? { score: round(item.score) } : {}),
    ...(item.similarity !== undefined ? { similarity: item.similarity === null ? null : round(item.similarity) } : {}),
  }
}

function source(s: TracedSource) {
  return { sessionId: s.sessionId, messageId: s.messageId, at: s.at.toISOString() }
}

const round = (n: number) => Math.round(n * 1e4) / 1e4
