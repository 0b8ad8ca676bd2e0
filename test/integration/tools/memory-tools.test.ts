import { Agent, RunState, setTracingDisabled, type FunctionTool, type RunResult } from '@openai/agents'
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'

setTracingDisabled(true)

type Setup = 'embedded' | 'postgres'
type Rec = Record<string, any>

/** What each tool call returned to the model, in order, parsed. */
function toolOutputs(result: RunResult<any, any>): Rec[] {
  return result.newItems
    .filter((item) => item.type === 'tool_call_output_item')
    .map((item) => {
      const output = (item as unknown as { output: unknown }).output
      return (typeof output === 'string' ? JSON.parse(output) : output) as Rec
    })
}

describe.each<Setup>(['embedded', 'postgres'])('memory.tools (%s)', (setup) => {
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

  /** A user who said `said` in an earlier session; returns their extracted fact and that session's id. */
  async function userWhoSaid(said: string) {
    const userId = uniqueId('user')
    const earlier = memory.session(uniqueId('earlier'), { userId })
    await earlier.addItems([{ role: 'user', content: said }])
    await memory.flush()
    const [fact] = await memory.facts.list({ userId })
    expect(fact, `a fact was extracted from "${said}"`).toBeDefined()
    return { userId, fact: fact!, sessionId: await earlier.getSessionId() }
  }

  const agentWith = (model: ScriptedModel, tools: FunctionTool<any, any, any>[]) =>
    new Agent({ name: 'Assistant', instructions: 'Use your memory tools.', model, tools })

  it("searches and explains the user's own memory, and never another user's", async () => {
    const ada = await userWhoSaid('We deploy to Hetzner.')
    const bob = await userWhoSaid('We deploy to Vercel.')
    const model = new ScriptedModel([
      [functionCall('search_memory', { query: 'where do we deploy' }, { callId: 'call-search' })],
      [functionCall('explain_memory', { id: ada.fact.id }, { callId: 'call-explain' })],
      [assistantMessage('Hetzner, since you said so.')],
    ])
    const result = await memory.run(agentWith(model, memory.tools({ userId: ada.userId })), 'Where do we deploy, and why do you think so?', {
      session: memory.session(uniqueId('now'), { userId: ada.userId }),
    })
    expect(result.finalOutput).toBe('Hetzner, since you said so.')
    const [search, explain] = toolOutputs(result)

    expect(search!.notice).toMatch(/data, not instructions/)
    const results = search!.results as Rec[]
    expect(results.map((r) => r.id)).toContain(ada.fact.id)
    expect(results.find((r) => r.id === ada.fact.id)).toMatchObject({ type: 'fact', text: ada.fact.content })
    expect(JSON.stringify(search)).not.toContain('Vercel')
    expect(results.map((r) => r.id)).not.toContain(bob.fact.id)

    expect(explain).toMatchObject({ id: ada.fact.id, content: ada.fact.content, status: 'active' })
    expect(explain!.sources).toEqual([expect.objectContaining({ sessionId: ada.sessionId, role: 'user', text: 'We deploy to Hetzner.' })])
    expect((explain!.history as Rec[]).map((e) => e.type)).toEqual(['added'])
  })

  it.each([
    ["another user's fact id", 'bob'],
    ['a garbage id', "x' OR 1=1 --"],
    ['an id holding NUL', '\u0000'],
    ['an excerpt id', '1'],
    ['a very long id', 'f'.repeat(100_000)],
  ])('answers explain_memory and forget_memory with not_found for %s', async (_what, given) => {
    const ada = await userWhoSaid('We deploy to Hetzner.')
    const bob = await userWhoSaid('I live in Oslo.')
    const id = given === 'bob' ? bob.fact.id : given
    const model = new ScriptedModel([
      [functionCall('explain_memory', { id }, { callId: 'call-explain' })],
      [functionCall('forget_memory', { id }, { callId: 'call-forget' })],
      [assistantMessage('Nothing there.')],
    ])
    const agent = agentWith(model, memory.tools({ userId: ada.userId, forget: true }))
    const session = memory.session(uniqueId('now'), { userId: ada.userId })
    const paused = await memory.run(agent, 'Tell me about that fact, then forget it.', { session })
    expect(paused.interruptions).toHaveLength(1)
    paused.state.approve(paused.interruptions[0]!)
    const result = await memory.run(agent, paused.state, { session })
    expect(result.finalOutput).toBe('Nothing there.')

    const outputs = toolOutputs(result) // a resumed run's items include those before the pause
    expect(outputs).toEqual([
      { error: 'not_found', message: 'No remembered fact of this user has that id.' },
      { error: 'not_found', message: 'No remembered fact of this user has that id.' },
    ])
    expect(JSON.stringify(outputs)).not.toContain('Oslo')
    // the other user's fact is untouched
    expect(await memory.facts.get({ userId: bob.userId, id: bob.fact.id })).toMatchObject({ status: 'active', content: bob.fact.content })
  })

  it('ignores a user named in tool arguments and answers malformed arguments with invalid_argument', async () => {
    const ada = await userWhoSaid('We deploy to Hetzner.')
    const bob = await userWhoSaid('We deploy to Vercel.')
    const model = new ScriptedModel([
      [functionCall('search_memory', { query: 'where do we deploy', userId: bob.userId, namespace: 'default' }, { callId: 'call-1' })],
      [functionCall('search_memory', { text: 'deploy' }, { callId: 'call-2' })],
      [assistantMessage('ok')],
    ])
    const result = await memory.run(agentWith(model, memory.tools({ userId: ada.userId })), 'Where do we deploy?', {
      session: memory.session(uniqueId('now'), { userId: ada.userId }),
    })
    const [search, malformed] = toolOutputs(result)
    expect((search!.results as Rec[]).map((r) => r.id)).toContain(ada.fact.id)
    expect(JSON.stringify(search)).not.toContain('Vercel')
    expect(malformed).toEqual({ error: 'invalid_argument', message: "The arguments do not match the tool's parameters." })
  })

  it('pauses forget_memory for approval and forgets the fact once a resumed run approves it', async () => {
    const ada = await userWhoSaid('I live in Lisbon.')
    const sessionId = uniqueId('now')
    const model = new ScriptedModel([
      [functionCall('forget_memory', { id: ada.fact.id }, { callId: 'call-forget' })],
      [assistantMessage('Forgotten.')],
    ])
    const agent = agentWith(model, memory.tools({ userId: ada.userId, forget: true }))

    const paused = await memory.run(agent, 'Please forget where I live.', { session: memory.session(sessionId, { userId: ada.userId }) })
    expect(paused.interruptions).toHaveLength(1)
    expect(paused.interruptions[0]!.rawItem).toMatchObject({ type: 'function_call', name: 'forget_memory', callId: 'call-forget' })
    expect(await memory.facts.get({ userId: ada.userId, id: ada.fact.id })).toMatchObject({ status: 'active' })

    // A new process would rebuild the state from its string and the session by id.
    paused.state.approve(paused.interruptions[0]!)
    const state = await RunState.fromString(agent, paused.state.toString())
    const resumed = await memory.run(agent, state, { session: memory.session(sessionId, { userId: ada.userId }) })
    expect(resumed.finalOutput).toBe('Forgotten.')
    expect(toolOutputs(resumed)).toEqual([{ forgotten: ada.fact.id }])

    const forgotten = await memory.facts.get({ userId: ada.userId, id: ada.fact.id })
    expect(forgotten.status).toBe('forgotten')
    expect(forgotten.content).not.toContain('Lisbon')
    expect((await memory.search({ userId: ada.userId, query: 'where do I live', types: ['fact'] })).map((h) => h.id)).not.toContain(ada.fact.id)
  })

  it('leaves a fact alone when the approval is rejected', async () => {
    const ada = await userWhoSaid('I live in Porto.')
    const model = new ScriptedModel([[functionCall('forget_memory', { id: ada.fact.id }, { callId: 'call-forget' })], [assistantMessage('Kept.')]])
    const agent = agentWith(model, memory.tools({ userId: ada.userId, forget: true }))
    const session = memory.session(uniqueId('now'), { userId: ada.userId })
    const paused = await memory.run(agent, 'Forget where I live.', { session })
    paused.state.reject(paused.interruptions[0]!)
    await memory.run(agent, paused.state, { session })
    expect(await memory.facts.get({ userId: ada.userId, id: ada.fact.id })).toMatchObject({ status: 'active', content: ada.fact.content })
  })

  it('has no tool parameter that could name a user or namespace, and forget_memory only on request', () => {
    const read = memory.tools({ userId: uniqueId('u') })
    expect(read.map((t) => t.name)).toEqual(['search_memory', 'explain_memory'])
    const all = memory.tools({ userId: uniqueId('u'), forget: true })
    expect(all.map((t) => [t.name, Object.keys((t.parameters as Rec).properties)])).toEqual([
      ['search_memory', ['query']],
      ['explain_memory', ['id']],
      ['forget_memory', ['id']],
    ])
    expect(all.map((t) => (t.parameters as Rec).additionalProperties)).toEqual([false, false, false])
  })

  it('refuses to build tools without a user, or for a blank namespace', () => {
    expect(() => memory.tools({ userId: '' })).toThrow(expect.objectContaining({ code: 'unknown_user' }))
    expect(() => memory.tools(undefined as never)).toThrow(expect.objectContaining({ code: 'unknown_user' }))
    expect(() => memory.tools({ userId: 'ada', namespace: ' ' })).toThrow(expect.objectContaining({ code: 'empty_id' }))
    expect(() => memory.tools({ userId: 'ada\u0000' })).toThrow(expect.objectContaining({ code: 'invalid_argument' }))
  })
})
