import type { CustomSpanData, Span, Trace } from '@openai/agents'
import { loadAgentsSdk } from '../agents-sdk.js'
import { z } from 'zod'
import { parseOrThrow } from '../errors.js'
import { NOOP_TRACE_ID, traceUserField, type TracingConfig } from '../trace-options.js'
import type { ContextBlockLayout, ContextExcerpt, ContextFact } from './context-block.js'

/** Name of the custom span every memory run records in its trace. */
export const RECALL_SPAN_NAME = 'factline.recall'

/** A call's recall-span options, over `createMemory({ tracing })`. */
export const RecallTraceOptionsSchema = z.strictObject({
  /** Record the `factline.recall` span for this call. @defaultValue `tracing.recall` */
  trace: z.boolean(),
  /** `ids` or `full` (see `tracing.content`). @defaultValue `tracing.content` */
  traceContent: z.enum(['ids', 'full']),
  /** `hash`, `raw` or `omit` (see `tracing.userId`). @defaultValue `tracing.userId` */
  traceUserId: z.enum(['hash', 'raw', 'omit']),
})
/** Options of the recall span on `memory.run` and `memory.context`. */
export type RecallTraceOptions = Partial<z.input<typeof RecallTraceOptionsSchema>>
export type RecallTraceConfig = z.output<typeof RecallTraceOptionsSchema>

/**
 * A call's trace options over the memory's `tracing` config, validated.
 * @throws FactlineError `invalid_argument` for an unknown value.
 */
export function resolveRecallTrace(tracing: TracingConfig, call: RecallTraceOptions): RecallTraceConfig {
  const given = Object.fromEntries(Object.entries(call).filter(([, v]) => v !== undefined))
  const defaults = { trace: tracing.recall, traceContent: tracing.content, traceUserId: tracing.userId }
  return parseOrThrow(RecallTraceOptionsSchema, { ...defaults, ...given }, 'invalid_argument', 'Invalid trace options')
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
export async function startRecallSpan(config: RecallTraceConfig, parent?: Trace | null): Promise<Span<CustomSpanData> | undefined> {
  if (!config.trace) return undefined
  const { createCustomSpan, getCurrentTrace } = await loadAgentsSdk()
  const trace = parent ?? getCurrentTrace()
  if (!trace || trace.traceId === NOOP_TRACE_ID) return undefined
  const span = createCustomSpan({ data: { name: RECALL_SPAN_NAME, data: {} } }, parent ?? undefined)
  if (span.spanId === NOOP_TRACE_ID) return undefined
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
    ...traceUserField(input.userId, config.traceUserId),
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
