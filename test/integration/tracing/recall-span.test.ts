import { createHash } from 'node:crypto'
import { Agent, run, RunState, setTracingDisabled, withTrace, type Span } from '@openai/agents'
import pg from 'pg'
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { deleteFileTool, weatherTool } from '../../helpers/runner-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { useTraceRecorder } from './trace-recorder.js'

type Setup = 'embedded' | 'postgres'
type Rec = Record<string, any>

const recorder = useTraceRecorder()

describe.each<Setup>(['embedded', 'postgres'])('the factline.recall span (%s)', (setup) => {
  let memory: Memory

  beforeAll(async () => {
    memory = await createMemory({
      database: setup === 'embedded' ? { dataDir: 'memory://' } : { url: inject('databaseUrl') },
      queue: false,
      env: false,
    })
  })
  afterAll(async () => {
    await memory.close()
  })

  /** Stores what a user said in an earlier session and extracts it; returns the fact and where it came from. */
  async function remember(userId: string, said: string) {
    const earlier = memory.session(uniqueId('earlier'), { userId })
    await earlier.addItems([{ role: 'user', content: said }])
    await memory.flush()
    const [fact] = await memory.facts.list({ userId })
    expect(fact, `a fact was extracted from "${said}"`).toBeDefined()
    const why = await memory.explain(fact!.id, { userId })
    return { fact: fact!, source: why.sources[0]! }
  }

  /** The one recall span of a run in `sessionId`, and the spans of its trace. */
  function recallOf(sessionId: string): { span: Span<any>; data: Rec; trace: Span<any>[] } {
    const spans = recorder.recallSpans(sessionId)
    expect(spans, 'one recall span per run').toHaveLength(1)
    const span = spans[0]!
    expect(span.endedAt, 'the recall span ended').toBeTruthy()
    return { span, data: span.spanData.data as Rec, trace: recorder.inTrace(span.traceId) }
  }

  function expectInjected(data: Rec, fact: { id: string }, source: { sessionId: string; messageId: number; createdAt: Date }) {
    const injected = (data.injected as Rec[]).find((i) => i.id === fact.id)
    expect(injected, `fact ${fact.id} is among the injected items`).toMatchObject({ type: 'fact', id: fact.id })
    expect(injected!.score).toBeGreaterThan(0)
    expect(injected!.validFrom).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(injected!.sources).toContainEqual({
      sessionId: source.sessionId,
      messageId: source.messageId,
      at: source.createdAt.toISOString(),
    })
    expect(data.blockTokens).toBeGreaterThan(0)
    expect(data.namespace).toBe('default')
  }

  const spanTypes = (spans: Span<any>[]) => spans.map((s) => s.spanData.type)

  it('records the injected fact and its source in the run’s own trace (string instructions)', async () => {
    const userId = uniqueId('ada')
    const { fact, source } = await remember(userId, 'We deploy to Hetzner.')
    const session = memory.session(uniqueId('now'), { userId })
    const model = new ScriptedModel([[assistantMessage('Hetzner.')]])
    await memory.run(new Agent({ name: 'Assistant', instructions: 'Be brief.', model }), 'Where do we deploy?', { session })

    const { span, data, trace } = recallOf(await session.getSessionId())
    expectInjected(data, fact, source)
    expect(spanTypes(trace)).toEqual(['custom', 'task', 'agent', 'turn'])
    // the recall is a child of the trace itself, recorded before the agent started
    expect(span.parentId).toBeNull()
    expect(recorder.traces.filter((t) => t.traceId === span.traceId)).toHaveLength(1)
    expect(data.userIdHash).toBe(`sha256:${createHash('sha256').update(userId).digest('hex').slice(0, 32)}`)
    expect(JSON.stringify(span.toJSON())).not.toContain(userId)
  })

  it('records it with function instructions', async () => {
    const userId = uniqueId('fn')
    const { fact, source } = await remember(userId, 'I prefer tea over coffee.')
    const session = memory.session(uniqueId('now'), { userId })
    const model = new ScriptedModel([[assistantMessage('Tea.')]])
    const agent = new Agent({ name: 'Barista', instructions: async () => 'You make drinks.', model })
    await memory.run(agent, 'Tea or coffee for me?', { session })
    const { data, trace } = recallOf(await session.getSessionId())
    expectInjected(data, fact, source)
    expect(trace.some((s) => s.spanData.type === 'agent' && s.spanData.name === 'Barista')).toBe(true)
  })

  it('records it in a streamed run', async () => {
    const userId = uniqueId('stream')
    const { fact, source } = await remember(userId, 'We deploy to Hetzner.')
    const session = memory.session(uniqueId('now'), { userId })
    const model = new ScriptedModel([[assistantMessage('Hetzner.')]])
    const streamed = await memory.run(new Agent({ name: 'Assistant', instructions: 'Be brief.', model }), 'Where do we deploy?', {
      session,
      stream: true,
    })
    for await (const _event of streamed) void _event
    await streamed.completed
    expect(model.calls.every((c) => c.streamed)).toBe(true)
    const { data, trace } = recallOf(await session.getSessionId())
    expectInjected(data, fact, source)
    expect(spanTypes(trace)).toEqual(['custom', 'task', 'agent', 'turn'])
  })

  it('recalls once for a tool loop, in the same trace as the tool call', async () => {
    const userId = uniqueId('tools')
    const { fact, source } = await remember(userId, 'I live in Oslo.')
    const session = memory.session(uniqueId('now'), { userId })
    const model = new ScriptedModel([
      [functionCall('get_weather', { city: 'Oslo' }, { callId: 'call-oslo' })],
      [assistantMessage('Sunny in Oslo.')],
    ])
    const agent = new Agent({ name: 'Weather', instructions: 'Use tools.', model, tools: [weatherTool()] })
    await memory.run(agent, 'What is the weather where I live?', { session })
    const { data, trace } = recallOf(await session.getSessionId())
    expectInjected(data, fact, source)
    expect(trace.filter((s) => s.spanData.type === 'function').map((s) => s.spanData.name)).toEqual(['get_weather'])
    expect(trace.filter((s) => s.spanData.type === 'turn')).toHaveLength(2)
  })

  it('recalls once across a handoff, in the trace both agents run in', async () => {
    const userId = uniqueId('handoff')
    const { fact, source } = await remember(userId, 'I prefer tea over coffee.')
    const session = memory.session(uniqueId('now'), { userId })
    const model = new ScriptedModel([[functionCall('transfer_to_barista', '{}', { callId: 'call-handoff' })], [assistantMessage('Tea.')]])
    const barista = new Agent({ name: 'barista', instructions: async () => 'You make drinks.', model })
    const host = Agent.create({ name: 'host', instructions: 'Greet and hand off.', model, handoffs: [barista] })
    await memory.run(host, 'What should I drink, tea or coffee?', { session })
    const { data, trace } = recallOf(await session.getSessionId())
    expectInjected(data, fact, source)
    expect(trace.filter((s) => s.spanData.type === 'agent').map((s) => s.spanData.name)).toEqual(['host', 'barista'])
    expect(spanTypes(trace)).toContain('handoff')
    // both agents had the block
    expect(model.calls.every((c) => (c.request.systemInstructions ?? '').includes(fact.content))).toBe(true)
  })

  it('records the recall of a run resumed after an approval in the trace the run started in', async () => {
    const userId = uniqueId('resume')
    const { fact } = await remember(userId, 'We deploy to Hetzner.')
    const session = memory.session(uniqueId('now'), { userId })
    const model = new ScriptedModel([[functionCall('delete_file', { path: '/tmp/a' }, { callId: 'call-del' })], [assistantMessage('Done.')]])
    const agent = new Agent({ name: 'Janitor', instructions: 'Ask first.', model, tools: [deleteFileTool()] })
    const paused = await memory.run(agent, 'Delete /tmp/a, then tell me where we deploy.', { session })
    paused.state.approve(paused.interruptions[0]!)
    // as a new process would: the state rebuilt from its string
    await memory.run(agent, await RunState.fromString(agent, paused.state.toString()), { session })

    const spans = recorder.recallSpans(await session.getSessionId())
    expect(spans).toHaveLength(2)
    expect(spans[1]!.traceId).toBe(spans[0]!.traceId)
    expect((spans[1]!.spanData.data.injected as Rec[]).map((i) => i.id)).toContain(fact.id)
  })

  it('keeps text out of the span with traceContent "ids" and puts it in with "full"', async () => {
    const marker = `Zanzibar${uniqueId('m').replace(/\W/g, '')}`
    const userId = uniqueId('private')
    const { fact } = await remember(userId, `We deploy to ${marker}.`)
    expect(fact.content).toContain(marker)
    const agent = (model: ScriptedModel) => new Agent({ name: 'Assistant', instructions: 'Be brief.', model })

    const quiet = memory.session(uniqueId('ids'), { userId })
    await memory.run(agent(new ScriptedModel([[assistantMessage('ok')]])), `Do we still deploy to ${marker}?`, { session: quiet })
    const ids = recallOf(await quiet.getSessionId())
    expect(ids.data.content).toBe('ids')
    expect((ids.data.injected as Rec[]).map((i) => i.id)).toContain(fact.id)
    expect(JSON.stringify(ids.span.toJSON())).not.toContain(marker)
    expect(ids.data.queryChars).toBeGreaterThan(0)

    const loud = memory.session(uniqueId('full'), { userId })
    await memory.run(agent(new ScriptedModel([[assistantMessage('ok')]])), `Do we still deploy to ${marker}?`, {
      session: loud,
      traceContent: 'full',
      traceUserId: 'raw',
    })
    const full = recallOf(await loud.getSessionId())
    expect(full.data.query).toContain(marker)
    expect((full.data.injected as Rec[]).find((i) => i.id === fact.id)?.text).toBe(fact.content)
    expect(full.data.userId).toBe(userId)
  })

  it("joins the caller's own trace: two runs and memory.context in one withTrace", async () => {
    const userId = uniqueId('workflow')
    const { fact } = await remember(userId, 'We deploy to Hetzner.')
    const first = memory.session(uniqueId('first'), { userId })
    const second = memory.session(uniqueId('second'), { userId })
    const agent = () => new Agent({ name: 'Assistant', instructions: 'Be brief.', model: new ScriptedModel([[assistantMessage('ok')]]) })
    const traceId = await withTrace('support workflow', async (trace) => {
      await memory.run(agent(), 'Where do we deploy?', { session: first })
      await memory.run(agent(), 'And where again?', { session: second })
      const context = await memory.context({ userId, input: 'deploy target?', traceUserId: 'raw' })
      await run(agent(), 'deploy target?', { callModelInputFilter: context.callModelInputFilter })
      return trace.traceId
    })
    expect(recallOf(await first.getSessionId()).span.traceId).toBe(traceId)
    expect(recallOf(await second.getSessionId()).span.traceId).toBe(traceId)
    const standalone = recorder.recallSpans().filter((s) => s.spanData.data.userId === userId)
    expect(standalone.map((s) => s.traceId)).toEqual([traceId])
    expect((standalone[0]!.spanData.data.injected as Rec[]).map((i) => i.id)).toContain(fact.id)
    expect(recorder.inTrace(traceId).filter((s) => s.spanData.type === 'agent')).toHaveLength(3)
  })

  it('records nothing from memory.context outside any trace', async () => {
    const userId = uniqueId('notrace')
    await remember(userId, 'We deploy to Hetzner.')
    const before = recorder.spans.length
    const context = await memory.context({ userId, input: 'Where do we deploy?' })
    expect(context.block).toContain('Deploys to Hetzner')
    expect(recorder.spans.length).toBe(before)
  })

  it('records no recall span with trace: false, and the run is still traced', async () => {
    const userId = uniqueId('off')
    await remember(userId, 'We deploy to Hetzner.')
    const session = memory.session(uniqueId('now'), { userId })
    const before = recorder.spans.length
    await memory.run(new Agent({ name: 'Untraced recall', instructions: 'Be brief.', model: new ScriptedModel([[assistantMessage('ok')]]) }), 'Where?', {
      session,
      trace: false,
    })
    expect(recorder.recallSpans(await session.getSessionId())).toEqual([])
    expect(recorder.spans.slice(before).some((s) => s.spanData.type === 'agent' && s.spanData.name === 'Untraced recall')).toBe(true)
  })

  it('records nothing at all when tracing is disabled', async () => {
    const userId = uniqueId('disabled')
    await remember(userId, 'We deploy to Hetzner.')
    const session = memory.session(uniqueId('now'), { userId })
    const spans = recorder.spans.length
    const traces = recorder.traces.length
    setTracingDisabled(true)
    try {
      const model = new ScriptedModel([[assistantMessage('Hetzner.')]])
      await memory.run(new Agent({ name: 'Assistant', instructions: 'Be brief.', model }), 'Where do we deploy?', { session })
      expect(model.lastCall?.request.systemInstructions).toContain('Deploys to Hetzner')
    } finally {
      setTracingDisabled(false)
    }
    expect(recorder.spans.length).toBe(spans)
    expect(recorder.traces.length).toBe(traces)
  })

  it('rejects an unknown trace option with invalid_argument before any model call', async () => {
    const model = new ScriptedModel([[assistantMessage('ok')]])
    await expect(
      memory.run(new Agent({ name: 'A', instructions: 'x', model }), 'hi', { userId: uniqueId('u'), traceContent: 'everything' as 'full' }),
    ).rejects.toMatchObject({ code: 'invalid_argument' })
    expect(model.calls).toHaveLength(0)
  })
})

describe('the recall span on the wire', () => {
  it('adds no round trip to a memory turn', async () => {
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 })
    const statements: string[] = []
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      client.query = ((...args: unknown[]) => {
        const first = args[0]
        statements.push(typeof first === 'string' ? first : String((first as { text?: string }).text))
        return query(...args)
      }) as typeof client.query
    })
    const userId = uniqueId('wire')
    const seeding = await createMemory({ database: { url: inject('databaseUrl') }, queue: false, env: false })
    await seeding.session(uniqueId('earlier'), { userId }).addItems([{ role: 'user', content: 'We deploy to Hetzner.' }])
    await seeding.flush()
    await seeding.close()
    // Queue mode with no worker: extraction statements cannot land in the turns being counted.
    const memory = await createMemory({ database: { pool }, queue: { url: inject('redisUrl'), name: uniqueId('test') }, env: false })
    try {
      const session = memory.session(uniqueId('now'), { userId })
      const turn = async (trace: boolean) => {
        const before = statements.length
        const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: new ScriptedModel([[assistantMessage('ok')]]) })
        await memory.run(agent, 'Where do we deploy?', { session, trace })
        return statements.length - before
      }
      await turn(true) // warms the pool and the session's row
      const untraced = await turn(false)
      const traced = await turn(true)
      expect(recorder.recallSpans(await session.getSessionId())).toHaveLength(2)
      expect(traced).toBeGreaterThan(0)
      expect(traced).toBe(untraced)
    } finally {
      await memory.close()
      await pool.end()
    }
  })
})
