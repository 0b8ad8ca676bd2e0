import { setTraceProcessors, setTracingDisabled, type Span, type Trace, type TracingProcessor } from '@openai/agents'
import { afterAll, beforeAll } from 'vitest'

/** A trace processor that keeps everything in memory, so a test can read the spans a run recorded. */
export class TraceRecorder implements TracingProcessor {
  readonly traces: Trace[] = []
  /** Spans as they start; their data is read after the run, when it is complete. */
  readonly spans: Span<any>[] = []

  async onTraceStart(trace: Trace) {
    this.traces.push(trace)
  }
  async onTraceEnd() {}
  async onSpanStart(span: Span<any>) {
    this.spans.push(span)
  }
  async onSpanEnd() {}
  async shutdown() {}
  async forceFlush() {}

  /** `factline.recall` spans, optionally only those of one running session. */
  recallSpans(sessionId?: string): Span<any>[] {
    return this.spans.filter(
      (s) => s.spanData.type === 'custom' && s.spanData.name === 'factline.recall' && (sessionId === undefined || s.spanData.data.sessionId === sessionId),
    )
  }

  /** Every span of one trace. */
  inTrace(traceId: string): Span<any>[] {
    return this.spans.filter((s) => s.traceId === traceId)
  }
}

/**
 * Registers a recorder as the only trace processor (the OpenAI exporter, which would reach for the
 * network, is replaced) and turns tracing on for the file; turns it off again afterwards.
 */
export function useTraceRecorder(): TraceRecorder {
  const recorder = new TraceRecorder()
  beforeAll(() => {
    setTraceProcessors([recorder])
    setTracingDisabled(false)
  })
  afterAll(() => {
    setTracingDisabled(true)
    setTraceProcessors([])
  })
  return recorder
}
