import { agentsSdk } from '../agents-sdk.js'
import { NOOP_TRACE_ID, traceUserField, type TracingConfig } from '../trace-options.js'
import type { ExtractionBatch } from './extraction-deps.js'

/** Name of the trace (and of its one span) each traced extraction batch records. */
export const EXTRACTION_TRACE_NAME = 'factline.extraction'

/**
 * An `onBatch` hook that records each committed extraction batch as a trace of its own (never
 * inside the run whose turn it extracts: extraction happens after that run, often elsewhere),
 * holding one `factline.extraction` span: the candidates, the reconciliation decisions with the
 * facts they wrote, and the watermark's move. Text follows `tracing.content`, the user `tracing.userId`.
 * Nothing is recorded when Agents SDK tracing is disabled.
 */
export function traceExtractionBatches(tracing: TracingConfig): (batch: ExtractionBatch) => void {
  return (batch) => {
    const { createCustomSpan, withTrace } = agentsSdk()
    const metadata = { sessionId: batch.sessionId, ...(batch.jobId ? { jobId: batch.jobId } : {}) }
    // A new trace context, whatever trace the caller's async context carries.
    void withTrace(
      EXTRACTION_TRACE_NAME,
      async (trace) => {
        if (trace.traceId === NOOP_TRACE_ID) return
        const span = createCustomSpan({ data: { name: EXTRACTION_TRACE_NAME, data: extractionSpanData(batch, tracing) } }, trace)
        span.start()
        span.end()
      },
      { metadata },
    ).catch(() => {})
  }
}

/** The span's data: JSON only, text only with `content: 'full'`. */
export function extractionSpanData(batch: ExtractionBatch, tracing: TracingConfig): Record<string, unknown> {
  const full = tracing.content === 'full'
  return {
    ...(batch.userId !== null ? traceUserField(batch.userId, tracing.userId) : {}),
    namespace: batch.namespace,
    sessionId: batch.sessionId,
    ...(batch.jobId ? { jobId: batch.jobId } : {}),
    watermark: batch.watermark,
    content: tracing.content,
    candidates: batch.candidates.map((c, index) => ({
      index,
      kind: c.kind,
      key: c.key,
      sourceMessageIds: c.sourceMessageIds,
      ...(full ? { text: c.content } : {}),
    })),
    decisions: batch.decisions,
    counts: batch.counts,
  }
}
