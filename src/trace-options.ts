import { createHash } from 'node:crypto'
import { z } from 'zod'

/** What goes into the spans factline records in Agents SDK traces (`createMemory({ tracing })`). */
export const TracingOptionsSchema = z.strictObject({
  /** Record a `factline.recall` span in every `memory.run` trace (when the Agents SDK traces at all). @defaultValue true */
  recall: z.boolean().default(true),
  /** Record a `factline.extraction` trace per extraction batch run by this process. @defaultValue false */
  extraction: z.boolean().default(false),
  /**
   * How much text spans hold: `ids` keeps ids, scores, sources and times but no text (no query,
   * no fact content, no excerpt, no candidate); `full` adds them.
   * @defaultValue 'ids'
   */
  content: z.enum(['ids', 'full']).default('ids'),
  /** The user id in spans: `hash` (a SHA-256 prefix, pseudonymous), `raw`, or `omit`. @defaultValue 'hash' */
  userId: z.enum(['hash', 'raw', 'omit']).default('hash'),
})
export type TracingOptions = z.input<typeof TracingOptionsSchema>
export type TracingConfig = z.output<typeof TracingOptionsSchema>

/** The SDK's id for traces and spans that record nothing (tracing disabled). */
export const NOOP_TRACE_ID = 'no-op'

/** How a span names the user: personal ids need not leave the app. */
export function traceUserField(userId: string, mode: TracingConfig['userId']): Record<string, string> {
  if (mode === 'omit') return {}
  if (mode === 'raw') return { userId }
  return { userIdHash: `sha256:${createHash('sha256').update(userId).digest('hex').slice(0, 32)}` }
}
