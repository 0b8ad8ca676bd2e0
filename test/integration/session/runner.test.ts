import { Agent, run, RunState } from '@openai/agents'
import { assistantMessage, functionCall, modelError, ScriptedModel } from '@openai/agents/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { historyWindow } from '../../../src/session/history-window.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openBackend, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { deleteFileTool, labels, weatherTool } from '../../helpers/runner-fixtures.js'
import { describeEachSetup } from '../../helpers/services.js'

type Rec = Record<string, unknown>


function inputOf(model: ScriptedModel, index: number): Rec[] {
  const input = model.calls[index]?.request.input
  expect(Array.isArray(input), `model call ${index} got a list input`).toBe(true)
  return input as unknown as Rec[]
}

/** What the Responses API rejects: a result whose call is missing, or a call whose result is. */
function expectPairedToolItems(items: readonly Rec[], where: string) {
  const calls = items.filter((i) => i.type === 'function_call').map((i) => i.callId)
  const results = items.filter((i) => i.type === 'function_call_result').map((i) => i.callId)
  expect([...results].sort(), `${where}: results without calls / calls without results`).toEqual([...calls].sort())
  for (const result of items.filter((i) => i.type === 'function_call_result')) {
    const callAt = items.findIndex((i) => i.type === 'function_call' && i.callId === result.callId)
    expect(callAt, `${where}: call ${String(result.callId)} precedes its result`).toBeLessThan(items.indexOf(result))
  }
}


describeEachSetup(['pglite', 'postgres'] as const satisfies readonly Backend[])('the Agents SDK runner on PostgresSession (%s)', (backend) => {
  let handle: FactlineDb
  const newSession = (sessionId = uniqueId('s')) => new PostgresSession({ sessionId, db: handle })

  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle?.close()
  })

  it('sends the first turn to the model on the second run and stores both turns in order', async () => {
    const model = new ScriptedModel([[assistantMessage('Hello Ada')], [assistantMessage('You are Ada')]])
    const agent = new Agent({ name: 'greeter', instructions: 'Be brief.', model })
    const session = newSession()

    const first = await run(agent, 'My name is Ada', { session })
    expect(first.finalOutput).toBe('Hello Ada')
    const second = await run(agent, 'What is my name?', { session })
    expect(second.finalOutput).toBe('You are Ada')

    expect(labels(inputOf(model, 1))).toEqual(['user:My name is Ada', 'assistant:Hello Ada', 'user:What is my name?'])
    expect(labels(await session.getItems())).toEqual([
      'user:My name is Ada',
      'assistant:Hello Ada',
      'user:What is my name?',
      'assistant:You are Ada',
    ])
    model.assertComplete()
  })

  it.each([false, true])('stores a tool call and its result with matching call ids (streamed: %s)', async (streamed) => {
    const model = new ScriptedModel([
      [functionCall('get_weather', { city: 'Oslo' }, { callId: 'call-oslo' })],
      [assistantMessage('It is sunny in Oslo')],
    ])
    const agent = new Agent({ name: 'weather', instructions: 'Use tools.', model, tools: [weatherTool()] })
    const session = newSession()

    if (streamed) {
      const result = await run(agent, 'Weather in Oslo?', { session, stream: true })
      for await (const _event of result) {
        // drain the stream; persistence happens as the run proceeds
      }
      await result.completed
      expect(result.finalOutput).toBe('It is sunny in Oslo')
    } else {
      const result = await run(agent, 'Weather in Oslo?', { session })
      expect(result.finalOutput).toBe('It is sunny in Oslo')
    }

    expect(model.calls.every((c) => c.streamed === streamed)).toBe(true)
    const items = (await session.getItems()) as unknown as Rec[]
    expect(labels(items)).toEqual([
      'user:Weather in Oslo?',
      'function_call:call-oslo',
      'function_call_result:call-oslo',
      'assistant:It is sunny in Oslo',
    ])
    expect(items[1]).toMatchObject({ type: 'function_call', name: 'get_weather', callId: 'call-oslo' })
    expect(items[2]).toMatchObject({ type: 'function_call_result', callId: 'call-oslo', output: { text: 'sunny in Oslo' } })
    expect(JSON.parse(String(items[1]!.arguments))).toEqual({ city: 'Oslo' })
    // the second model call saw the stored call and result
    expect(labels(inputOf(model, 1))).toEqual(labels(items.slice(0, 3)))
  })

  it('resumes an approved tool call from serialised state on a fresh session instance, storing each item once', async () => {
    const deleted: string[] = []
    const deleteFile = deleteFileTool(deleted)
    const model = new ScriptedModel([
      [functionCall('delete_file', { path: '/tmp/a' }, { callId: 'call-del' })],
      [assistantMessage('Deleted /tmp/a')],
    ])
    const agent = new Agent({ name: 'janitor', instructions: 'Ask before deleting.', model, tools: [deleteFile] })
    const sessionId = uniqueId('s')

    const paused = await run(agent, 'Delete /tmp/a', { session: newSession(sessionId) })
    expect(paused.interruptions).toHaveLength(1)
    expect(paused.interruptions[0]!.rawItem).toMatchObject({ type: 'function_call', callId: 'call-del' })
    expect(deleted).toEqual([])
    // the pending call is stored at the pause; its result comes with the resumed run
    expect(labels(await newSession(sessionId).getItems())).toEqual(['user:Delete /tmp/a', 'function_call:call-del'])
    paused.state.approve(paused.interruptions[0]!)
    const saved = paused.state.toString()

    // A new process would rebuild both from storage: the state from its string, the session by id.
    const state = await RunState.fromString(agent, saved)
    const resumed = await run(agent, state, { session: newSession(sessionId) })
    expect(resumed.finalOutput).toBe('Deleted /tmp/a')
    expect(deleted).toEqual(['/tmp/a'])

    expect(labels(await newSession(sessionId).getItems())).toEqual([
      'user:Delete /tmp/a',
      'function_call:call-del',
      'function_call_result:call-del',
      'assistant:Deleted /tmp/a',
    ])
    expectPairedToolItems(inputOf(model, 1), 'resumed model call')
    model.assertComplete()
  })

  it('starts a new run cleanly after an approval that was never given', async () => {
    const deleteFile = deleteFileTool()
    const model = new ScriptedModel([
      [functionCall('delete_file', { path: '/tmp/b' }, { callId: 'call-abandoned' })],
      [assistantMessage('Fine, I will not')],
    ])
    const agent = new Agent({ name: 'janitor', instructions: 'Ask before deleting.', model, tools: [deleteFile] })
    const session = newSession()

    const paused = await run(agent, 'Delete /tmp/b', { session })
    expect(paused.interruptions).toHaveLength(1)
    const next = await run(agent, 'Never mind', { session, sessionInputCallback: historyWindow({ maxItems: 10 }) })
    expect(next.finalOutput).toBe('Fine, I will not')
    // the stored call has no result, so the runner leaves it out of the request
    expect(labels(inputOf(model, 1))).toEqual(['user:Delete /tmp/b', 'user:Never mind'])
  })

  it('with historyWindow, never sends the model a tool result without its call, and sends the latest turns', async () => {
    const model = new ScriptedModel()
    const agent = new Agent({ name: 'weather', instructions: 'Use tools.', model, tools: [weatherTool()] })
    const session = newSession()
    // 6 fits the last turn (4 items) and the previous answer; a plain getItems(6) would start at
    // that turn's tool result, whose call it cut off.
    const sessionInputCallback = historyWindow({ maxItems: 6 })
    const turns = 8
    let previousCallIds: string[] = []

    for (let turn = 0; turn < turns; turn++) {
      // every third turn calls two tools in parallel
      const calls =
        turn % 3 === 2
          ? [
              functionCall('get_weather', { city: `A${turn}` }, { callId: `t${turn}-a` }),
              functionCall('get_weather', { city: `B${turn}` }, { callId: `t${turn}-b` }),
            ]
          : [functionCall('get_weather', { city: `C${turn}` }, { callId: `t${turn}` })]
      model.enqueue(calls, [assistantMessage(`answer ${turn}`)])
      const firstCall = model.calls.length

      if (turn >= 2 && (turn - 1) % 3 !== 2) {
        // what a plain item-count cut would hand the model: it opens with an orphan result
        const naive = (await session.getItems(6)) as unknown as Rec[]
        expect(naive[0]?.type).toBe('function_call_result')
      }

      const result = await run(agent, `question ${turn}`, { session, sessionInputCallback })
      expect(result.finalOutput).toBe(`answer ${turn}`)

      for (let i = firstCall; i < model.calls.length; i++) {
        const input = inputOf(model, i)
        expectPairedToolItems(input, `turn ${turn}, model call ${i}`)
        expect(input.length).toBeLessThanOrEqual(6 + 1 + 2 * calls.length)
      }
      const opening = labels(inputOf(model, firstCall))
      expect(opening.at(-1)).toBe(`user:question ${turn}`)
      if (turn > 0) {
        // the whole previous turn fits in 6 (4 items, or 6 with two parallel calls)
        const previous = previousCallIds.map((id) => `function_call:${id}`)
        expect(opening.slice(0, -1)).toEqual(expect.arrayContaining([`user:question ${turn - 1}`, ...previous]))
        expect(opening.at(-2)).toBe(`assistant:answer ${turn - 1}`)
      }
      previousCallIds = calls.map((c) => c.callId)
      if (turn > 2) expect(opening).not.toContain('user:question 0')
    }

    // the window only shapes what the model sees; the session keeps everything
    const stored = (await session.getItems()) as unknown as Rec[]
    expect(stored.filter((i) => i.role === 'user')).toHaveLength(turns)
    expectPairedToolItems(stored, 'stored session')
    model.assertComplete()
  })

  it('stays usable after a run whose model call fails', async () => {
    const model = new ScriptedModel([modelError(new Error('model unavailable')), [assistantMessage('Back again')]])
    const agent = new Agent({ name: 'flaky', instructions: 'Be brief.', model })
    const session = newSession()

    await expect(run(agent, 'First try', { session })).rejects.toThrow('model unavailable')
    // the SDK (0.20) saves a turn's input together with its output, so a failed turn leaves nothing
    const afterFailure = labels(await session.getItems())
    expect(afterFailure).toEqual([])

    const result = await run(agent, 'Second try', { session })
    expect(result.finalOutput).toBe('Back again')
    expect(labels(await session.getItems())).toEqual([...afterFailure, 'user:Second try', 'assistant:Back again'])
    expect(labels(inputOf(model, 1))).toEqual([...afterFailure, 'user:Second try'])
  })
})
