import { Agent, setTracingDisabled, type Span } from '@openai/agents'
import { assistantMessage, ScriptedModel } from '@openai/agents/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'
import { useTraceRecorder } from './trace-recorder.js'

type Rec = Record<string, any>

const recorder = useTraceRecorder()

/** The extraction spans recorded for one session, oldest first. */
const extractionSpans = (sessionId: string): Span<any>[] =>
  recorder.spans.filter((s) => s.spanData.type === 'custom' && s.spanData.name === 'factline.extraction' && s.spanData.data.sessionId === sessionId)

describe.each([
  ['embedded', 'ids'],
  ['postgres', 'full'],
] as const)('extraction traces (%s, content %s)', (setup, content) => {
  let memory: Memory

  beforeAll(async () => {
    memory = await createMemory({
      database: setup === 'embedded' ? { dataDir: 'memory://' } : { url: inject('databaseUrl') },
      queue: false,
      env: false,
      tracing: { extraction: true, content },
    })
  })
  afterAll(async () => {
    await memory.close()
  })

  it('records candidates, reconcile decisions with the facts written, and the watermark move, in a trace of its own', async () => {
    const userId = uniqueId('ada')
    const marker = `Zanzibar${uniqueId('m').replace(/\W/g, '')}`
    const session = memory.session(uniqueId('s'), { userId })
    const sessionId = await session.getSessionId()
    const model = new ScriptedModel([[assistantMessage('Noted!')]])
    await memory.run(new Agent({ name: 'Assistant', instructions: 'Be brief.', model }), `We deploy to ${marker}.`, { session })
    await memory.flush()

    const [span] = await waitFor(async () => (extractionSpans(sessionId).length > 0 ? extractionSpans(sessionId) : null), 'the extraction span')
    const data = span!.spanData.data as Rec
    const [fact] = await memory.facts.list({ userId })
    const [message] = (await memory.explain(fact!.id, { userId })).sources
    expect(data.watermark).toEqual({ from: 0, to: expect.any(Number) })
    expect(data.watermark.to).toBeGreaterThanOrEqual(message!.messageId)
    expect(data.candidates).toEqual([expect.objectContaining({ index: 0, sourceMessageIds: [message!.messageId] })])
    expect(data.decisions).toEqual([{ action: 'add', candidate: 0, factId: fact!.id, reason: 'new' }])
    expect(data.counts).toMatchObject({ added: 1 })

    // its own trace, not the run's: extraction happens after the run
    const runTraces = recorder.recallSpans(sessionId).map((s) => s.traceId)
    expect(runTraces).toHaveLength(1)
    expect(span!.traceId).not.toBe(runTraces[0])
    expect(recorder.traces.find((t) => t.traceId === span!.traceId)?.name).toBe('factline.extraction')

    const json = JSON.stringify(span!.toJSON())
    expect(json).not.toContain(userId)
    if (content === 'ids') expect(json).not.toContain(marker)
    else expect(data.candidates[0].text).toContain(marker)
  })

  it('shows a supersession: the decision names the fact replaced', async () => {
    const userId = uniqueId('mover')
    const session = memory.session(uniqueId('s'), { userId })
    const sessionId = await session.getSessionId()
    await session.addItems([{ role: 'user', content: 'I live in Lisbon.' }])
    await memory.flush()
    const [before] = await memory.facts.list({ userId })
    await session.addItems([{ role: 'user', content: 'I moved to Porto.' }])
    await memory.flush()

    const spans = await waitFor(async () => (extractionSpans(sessionId).length >= 2 ? extractionSpans(sessionId) : null), 'two extraction spans')
    const second = spans[1]!.spanData.data as Rec
    expect(second.watermark.from).toBe((spans[0]!.spanData.data as Rec).watermark.to)
    const [after] = await memory.facts.list({ userId })
    expect(second.decisions).toEqual([expect.objectContaining({ action: 'supersede', factId: after!.id, target: before!.id })])
  })

  it('records nothing when tracing is disabled', async () => {
    const userId = uniqueId('quiet')
    const session = memory.session(uniqueId('s'), { userId })
    const count = recorder.spans.length
    setTracingDisabled(true)
    try {
      await session.addItems([{ role: 'user', content: 'We deploy to Hetzner.' }])
      await memory.flush()
      expect(await memory.facts.list({ userId })).toHaveLength(1)
    } finally {
      setTracingDisabled(false)
    }
    expect(recorder.spans.length).toBe(count)
  })
})
