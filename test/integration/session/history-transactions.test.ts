import {
  Agent,
  OutputGuardrailTripwireTriggered,
  run,
  RunState,
  type AgentInputItem,
  type OutputGuardrail,
  type OutputGuardrailMetadata,
  type SessionHistoryTransactionArgs,
} from '@openai/agents'
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { createMemory } from '../../../src/memory.js'
import { PostgresSession, type ItemsAddedEvent } from '../../../src/session/postgres-session.js'
import { openBackend, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { deleteFileTool, labels, weatherTool } from '../../helpers/runner-fixtures.js'
import { describeEachSetup } from '../../helpers/services.js'

type Rec = Record<string, unknown>

const user = (text: string) => ({ type: 'message', role: 'user', content: text }) as AgentInputItem
const assistant = (text: string) =>
  ({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] }) as AgentInputItem
const call = (callId: string, city = 'Oslo') =>
  ({ type: 'function_call', callId, name: 'get_weather', arguments: JSON.stringify({ city }), status: 'completed' }) as AgentInputItem
const result = (callId: string) =>
  ({ type: 'function_call_result', callId, name: 'get_weather', status: 'completed', output: { type: 'text', text: 'sunny' } }) as AgentInputItem



/** An output guardrail that blocks the final answer while `blocking.on` is true. */
function switchableGuardrail() {
  const blocking = { on: true }
  const guardrail: OutputGuardrail = {
    name: 'review',
    execute: async () => ({ tripwireTriggered: blocking.on, outputInfo: {} }),
  }
  return { blocking, guardrail }
}

/** The resumable state a blocked run's error carries. */
const stateOf = (error: unknown) => (error as OutputGuardrailTripwireTriggered<OutputGuardrailMetadata>).state!

/** Counts what the runner calls, without changing what the session does. */
function spyOn(session: PostgresSession) {
  return {
    addItems: vi.spyOn(session, 'addItems'),
    applyHistoryTransaction: vi.spyOn(session, 'applyHistoryTransaction'),
  }
}

describeEachSetup(['pglite', 'postgres'] as const satisfies readonly Backend[])('PostgresSession history transactions (%s)', (backend) => {
  let handle: FactlineDb
  const newSession = (options: { sessionId?: string; userId?: string; onItemsAdded?: (e: ItemsAddedEvent) => void } = {}) =>
    new PostgresSession({ sessionId: uniqueId('s'), ...options, db: handle })
  const operationsOf = async (sessionId: string) =>
    (
      await handle.db
        .selectFrom('agent_session_operations')
        .select(['operation_id', 'transaction_json'])
        .where('session_id', '=', sessionId)
        .orderBy('created_at')
        .execute()
    ).map((r) => r.operation_id)
  const idsOf = async (sessionId: string) =>
    (
      await handle.db.selectFrom('agent_messages').select('id').where('session_id', '=', sessionId).orderBy('id').execute()
    ).map((r) => Number(r.id))

  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle?.close()
  })

  describe('applyHistoryTransaction', () => {
    it('appends items and records the operation id in the same transaction', async () => {
      const events: ItemsAddedEvent[] = []
      const session = newSession({ userId: 'ada', onItemsAdded: (e) => events.push(e) })
      const sessionId = await session.getSessionId()
      await session.addItems([user('before')])
      await session.applyHistoryTransaction({ operationId: 'op-1', transaction: { type: 'append_items', items: [user('hi'), assistant('hello')] } })

      expect(labels(await session.getItems())).toEqual(['user:before', 'user:hi', 'assistant:hello'])
      expect(await operationsOf(sessionId)).toEqual(['op-1'])
      const ids = await idsOf(sessionId)
      expect(events.at(-1)).toEqual({ sessionId, userId: 'ada', namespace: 'default', firstMessageId: ids[1], lastMessageId: ids[2], count: 2 })
    })

    it('repeats an operation with the same transaction without applying it again', async () => {
      const events: ItemsAddedEvent[] = []
      const session = newSession({ onItemsAdded: (e) => events.push(e) })
      const args: SessionHistoryTransactionArgs = { operationId: 'op-retry', transaction: { type: 'append_items', items: [user('once')] } }
      await session.applyHistoryTransaction(args)
      await session.applyHistoryTransaction(args)
      // a retry after a lost acknowledgement may come from a fresh process with keys in another order
      await newSession({ sessionId: await session.getSessionId() }).applyHistoryTransaction({
        transaction: { items: [{ content: 'once', role: 'user', type: 'message' } as AgentInputItem], type: 'append_items' },
        operationId: 'op-retry',
      })
      expect(labels(await session.getItems())).toEqual(['user:once'])
      expect(events).toHaveLength(1)
    })

    it('rejects an operation id reused for a different transaction and changes nothing', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      await session.applyHistoryTransaction({ operationId: 'op-x', transaction: { type: 'append_items', items: [user('first')] } })
      const before = await idsOf(sessionId)

      await expect(
        session.applyHistoryTransaction({ operationId: 'op-x', transaction: { type: 'append_items', items: [user('second')] } }),
      ).rejects.toMatchObject({ code: 'session_conflict', details: { operationId: 'op-x', reason: 'operation_reused' } })
      await expect(
        session.applyHistoryTransaction({
          operationId: 'op-x',
          transaction: { type: 'replace_suffix', expectedSuffix: [user('first')], replacement: [user('changed')] },
        }),
      ).rejects.toMatchObject({ code: 'session_conflict', details: { reason: 'operation_reused' } })
      expect(await idsOf(sessionId)).toEqual(before)
      expect(labels(await session.getItems())).toEqual(['user:first'])
      expect(await operationsOf(sessionId)).toEqual(['op-x'])
    })

    it('replace_suffix swaps the matching suffix, keeping rows the replacement repeats unchanged', async () => {
      const events: ItemsAddedEvent[] = []
      const session = newSession({ onItemsAdded: (e) => events.push(e) })
      const sessionId = await session.getSessionId()
      await session.addItems([user('weather?'), call('c1'), result('c1')])
      const [, callId, resultId] = await idsOf(sessionId)
      events.length = 0

      // the stored suffix compares structurally: key order does not matter
      const reordered = { output: { text: 'sunny', type: 'text' }, status: 'completed', name: 'get_weather', callId: 'c1', type: 'function_call_result' }
      await session.applyHistoryTransaction({
        operationId: 'op-accept',
        transaction: { type: 'replace_suffix', expectedSuffix: [call('c1'), reordered as AgentInputItem], replacement: [call('c1'), result('c1'), assistant('sunny')] },
      })

      expect(labels(await session.getItems())).toEqual(['user:weather?', 'function_call:c1', 'function_call_result:c1', 'assistant:sunny'])
      const ids = await idsOf(sessionId)
      expect(ids.slice(1, 3)).toEqual([callId, resultId])
      expect(events).toEqual([expect.objectContaining({ firstMessageId: ids[3], lastMessageId: ids[3], count: 1 })])
    })

    it('replace_suffix deletes and reinserts from the first item that differs', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      await session.addItems([user('a'), assistant('draft'), user('b')])
      const [first] = await idsOf(sessionId)
      await session.applyHistoryTransaction({
        operationId: 'op-rewrite',
        transaction: { type: 'replace_suffix', expectedSuffix: [assistant('draft'), user('b')], replacement: [assistant('final')] },
      })
      expect(labels(await session.getItems())).toEqual(['user:a', 'assistant:final'])
      const ids = await idsOf(sessionId)
      expect(ids[0]).toBe(first)
      expect(ids[1]).toBeGreaterThan(first! + 2)
    })

    it('rejects replace_suffix whose expected suffix does not match, and changes nothing', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      await session.addItems([user('a'), assistant('b')])
      const before = await idsOf(sessionId)

      for (const expectedSuffix of [[assistant('not b')], [user('z'), user('a'), assistant('b')], [user('a')]]) {
        await expect(
          session.applyHistoryTransaction({ operationId: uniqueId('op'), transaction: { type: 'replace_suffix', expectedSuffix, replacement: [assistant('c')] } }),
        ).rejects.toMatchObject({ code: 'session_conflict', details: { reason: 'suffix_mismatch' } })
      }
      expect(await idsOf(sessionId)).toEqual(before)
      expect(await operationsOf(sessionId)).toEqual([])
      // nothing was recorded, so the same id can still be used for a transaction that applies
      await session.applyHistoryTransaction({
        operationId: 'op-later',
        transaction: { type: 'replace_suffix', expectedSuffix: [assistant('b')], replacement: [assistant('c')] },
      })
      expect(labels(await session.getItems())).toEqual(['user:a', 'assistant:c'])
    })

    it('rejects a suffix transaction on a new session without creating it', async () => {
      const session = newSession()
      await expect(
        session.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'replace_suffix', expectedSuffix: [user('a')], replacement: [] } }),
      ).rejects.toMatchObject({ code: 'session_conflict' })
      const row = await handle.db.selectFrom('agent_sessions').select('session_id').where('session_id', '=', await session.getSessionId()).executeTakeFirst()
      expect(row).toBeUndefined()
    })

    it('serialises concurrent appends with distinct operation ids: nothing lost, batches contiguous', async () => {
      const sessionId = uniqueId('s')
      const writers = 8
      await Promise.all(
        Array.from({ length: writers }, (_, w) =>
          newSession({ sessionId, userId: 'concurrent' }).applyHistoryTransaction({
            operationId: `op-${w}`,
            transaction: { type: 'append_items', items: [user(`${w}:0`), user(`${w}:1`), user(`${w}:2`)] },
          }),
        ),
      )
      const stored = labels(await newSession({ sessionId, userId: 'concurrent' }).getItems())
      expect(stored).toHaveLength(writers * 3)
      for (let i = 0; i < stored.length; i += 3) {
        const writer = stored[i]!.split(':')[1]
        expect(stored.slice(i, i + 3)).toEqual([0, 1, 2].map((n) => `user:${writer}:${n}`))
      }
      expect((await operationsOf(sessionId)).sort()).toEqual(Array.from({ length: writers }, (_, w) => `op-${w}`).sort())
    })

    it('applies one operation once when it is retried concurrently', async () => {
      const sessionId = uniqueId('s')
      const args: SessionHistoryTransactionArgs = { operationId: 'op-race', transaction: { type: 'append_items', items: [user('x')] } }
      await Promise.all(Array.from({ length: 5 }, () => newSession({ sessionId }).applyHistoryTransaction(args)))
      expect(labels(await newSession({ sessionId }).getItems())).toEqual(['user:x'])
    })

    it('rejects bad arguments with typed errors before writing anything', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      const apply = (args: unknown) => session.applyHistoryTransaction(args as SessionHistoryTransactionArgs)
      const append = { type: 'append_items', items: [user('x')] }
      await expect(apply(undefined)).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(apply({ operationId: 7, transaction: append })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(apply({ operationId: '  ', transaction: append })).rejects.toMatchObject({ code: 'empty_id' })
      await expect(apply({ operationId: 'x'.repeat(513), transaction: append })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(apply({ operationId: 'op' })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(apply({ operationId: 'op', transaction: { type: 'truncate' } })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(apply({ operationId: 'op', transaction: { ...append, extra: true } })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(apply({ operationId: 'op', transaction: { type: 'replace_suffix', expectedSuffix: [] } })).rejects.toMatchObject({
        code: 'invalid_argument',
      })
      await expect(apply({ operationId: 'op', transaction: { type: 'append_items', items: [user('ok'), { nope: 1 }] } })).rejects.toMatchObject({
        code: 'invalid_item',
        details: { index: 1 },
      })
      await expect(
        newSession({ sessionId }).applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [user('x'.repeat(9 * 1024 * 1024))] } }),
      ).rejects.toMatchObject({ code: 'content_too_large' })
      expect(await session.getItems()).toEqual([])
      expect(await operationsOf(sessionId)).toEqual([])
    })

    it("refuses to write into another user's session", async () => {
      const sessionId = uniqueId('s')
      await newSession({ sessionId, userId: 'ada' }).addItems([user('mine')])
      await expect(
        newSession({ sessionId, userId: 'eve' }).applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [user('theirs')] } }),
      ).rejects.toMatchObject({ code: 'session_conflict', details: { sessionId } })
      expect(labels(await newSession({ sessionId, userId: 'ada' }).getItems())).toEqual(['user:mine'])
      expect(await operationsOf(sessionId)).toEqual([])
    })

    it('forgets operation records when the session is cleared, like the SDK MemorySession', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      await session.applyHistoryTransaction({ operationId: 'op-1', transaction: { type: 'append_items', items: [user('x')] } })
      await session.clearSession()
      expect(await operationsOf(sessionId)).toEqual([])
      // the cleared session starts over: the same transaction is stored again, not skipped
      await session.applyHistoryTransaction({ operationId: 'op-1', transaction: { type: 'append_items', items: [user('x')] } })
      expect(labels(await session.getItems())).toEqual(['user:x'])
    })

    it('forgets operation records when history is replaced by a compaction', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      await session.applyHistoryTransaction({ operationId: 'op-1', transaction: { type: 'append_items', items: [user('x')] } })
      await session.replaceHistoryWithCompaction([user('summary')])
      expect(await operationsOf(sessionId)).toEqual([])
      await session.applyHistoryTransaction({ operationId: 'op-1', transaction: { type: 'append_items', items: [user('x')] } })
      expect(labels(await session.getItems())).toEqual(['user:summary', 'user:x'])
    })

    it('drops operation records with the session', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      await session.applyHistoryTransaction({ operationId: 'op-1', transaction: { type: 'append_items', items: [user('x')] } })
      await sql`delete from ${sql.table('agent_sessions')} where session_id = ${sessionId}`.execute(handle.db)
      expect(await operationsOf(sessionId)).toEqual([])
    })
  })

  describe('applyHistoryMutations', () => {
    it('rewrites the first stored call in place and drops later duplicates', async () => {
      const session = newSession()
      const sessionId = await session.getSessionId()
      await session.addItems([user('q'), call('c1', 'Oslo'), result('c1'), call('c1', 'Oslo'), call('c2', 'Rome')])
      const ids = await idsOf(sessionId)
      const replacement = call('c1', 'Bergen') as Extract<AgentInputItem, { type: 'function_call' }>

      await session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'c1', replacement }] })

      const items = (await session.getItems()) as unknown as Rec[]
      expect(labels(items)).toEqual(['user:q', 'function_call:c1', 'function_call_result:c1', 'function_call:c2'])
      expect(JSON.parse(String(items[1]!.arguments))).toEqual({ city: 'Bergen' })
      expect(JSON.parse(String(items[3]!.arguments))).toEqual({ city: 'Rome' })
      expect(await idsOf(sessionId)).toEqual([ids[0], ids[1], ids[2], ids[4]])
    })

    it('changes nothing for a call id that is not stored, or for no mutations', async () => {
      const session = newSession()
      await session.addItems([user('q'), call('c1')])
      const before = await session.getItems()
      const replacement = call('missing', 'Nowhere') as Extract<AgentInputItem, { type: 'function_call' }>
      await session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'missing', replacement }] })
      await session.applyHistoryMutations({ mutations: [] })
      expect(await session.getItems()).toEqual(before)
    })

    it('rejects malformed mutations with typed errors and applies none of a batch', async () => {
      const session = newSession()
      await session.addItems([call('c1', 'Oslo')])
      const before = await session.getItems()
      const mutate = (args: unknown) => session.applyHistoryMutations(args as never)
      const good = { type: 'replace_function_call', callId: 'c1', replacement: call('c1', 'Bergen') }
      await expect(mutate({})).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(mutate({ mutations: [good, { ...good, type: 'delete_everything' }] })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(mutate({ mutations: [good, { ...good, callId: '' }] })).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(mutate({ mutations: [good, { ...good, replacement: user('not a call') }] })).rejects.toMatchObject({ code: 'invalid_item' })
      expect(await session.getItems()).toEqual(before)
    })
  })

  describe('with the Agents SDK runner', () => {
    it('stores a normal turn once; the 0.20 runner appends it with addItems', async () => {
      const model = new ScriptedModel([[assistantMessage('Hello Ada')]])
      const agent = new Agent({ name: 'greeter', instructions: 'Be brief.', model })
      const session = newSession()
      const spies = spyOn(session)

      await run(agent, 'My name is Ada', { session })

      expect(labels(await session.getItems())).toEqual(['user:My name is Ada', 'assistant:Hello Ada'])
      // With the capability present the runner still appends an unguarded turn directly; it uses
      // transactions for output-guardrail persistence (next tests). Pinned so an SDK change shows.
      expect(spies.applyHistoryTransaction).not.toHaveBeenCalled()
      expect(spies.addItems).toHaveBeenCalledTimes(1)
    })

    it('persists a blocked turn by transaction, then replaces its suffix when a fresh session resumes it', async () => {
      const { blocking, guardrail } = switchableGuardrail()
      const model = new ScriptedModel([[functionCall('get_weather', { city: 'Oslo' }, { callId: 'call-oslo' })], [assistantMessage('Sunny in Oslo')]])
      const agent = new Agent({ name: 'weather', instructions: 'Use tools.', model, tools: [weatherTool()], outputGuardrails: [guardrail] })
      const sessionId = uniqueId('s')
      const first = newSession({ sessionId })
      const firstSpies = spyOn(first)

      const blocked = await run(agent, 'Weather in Oslo?', { session: first }).catch((e: unknown) => e)
      expect(blocked).toBeInstanceOf(OutputGuardrailTripwireTriggered)
      expect(firstSpies.addItems).not.toHaveBeenCalled()
      expect(firstSpies.applyHistoryTransaction).toHaveBeenCalledTimes(1)
      const appendArgs = firstSpies.applyHistoryTransaction.mock.calls[0]![0]
      expect(appendArgs.transaction.type).toBe('append_items')
      // the blocked answer is withheld; the tool work it rests on is kept
      expect(labels(await newSession({ sessionId }).getItems())).toEqual(['user:Weather in Oslo?', 'function_call:call-oslo', 'function_call_result:call-oslo'])

      // Accept the answer on a fresh session instance. The SDK resumes guardrail transaction
      // authority only from the live state: a serialised one must start a new run instead.
      blocking.on = false
      await expect(RunState.fromString(agent, stateOf(blocked).toString())).rejects.toThrow(/cannot be resumed safely/)
      const second = newSession({ sessionId })
      const secondSpies = spyOn(second)
      const resumed = await run(agent, stateOf(blocked), { session: second })
      expect(resumed.finalOutput).toBe('Sunny in Oslo')
      expect(secondSpies.addItems).not.toHaveBeenCalled()
      expect(secondSpies.applyHistoryTransaction).toHaveBeenCalledTimes(1)
      const replaceArgs = secondSpies.applyHistoryTransaction.mock.calls[0]![0]
      expect(replaceArgs.transaction.type).toBe('replace_suffix')

      const expected = ['user:Weather in Oslo?', 'function_call:call-oslo', 'function_call_result:call-oslo', 'assistant:Sunny in Oslo']
      expect(labels(await newSession({ sessionId }).getItems())).toEqual(expected)
      // a retry of either operation (a lost acknowledgement) changes nothing
      await newSession({ sessionId }).applyHistoryTransaction(appendArgs)
      await newSession({ sessionId }).applyHistoryTransaction(replaceArgs)
      expect(labels(await newSession({ sessionId }).getItems())).toEqual(expected)
      expect(await operationsOf(sessionId)).toEqual([appendArgs.operationId, replaceArgs.operationId])
    })

    it('resumes an approved tool call on a fresh session instance through the transaction path, storing each item once', async () => {
      const { blocking, guardrail } = switchableGuardrail()
      const deleted: string[] = []
      const deleteFile = deleteFileTool(deleted)
      const model = new ScriptedModel([
        [functionCall('delete_file', { path: '/tmp/a' }, { callId: 'call-del' })],
        [functionCall('get_weather', { city: 'Oslo' }, { callId: 'call-oslo' })],
        [assistantMessage('Deleted /tmp/a; sunny in Oslo')],
      ])
      const agent = new Agent({
        name: 'janitor',
        instructions: 'Ask first.',
        model,
        tools: [deleteFile, weatherTool()],
        outputGuardrails: [guardrail],
      })
      const sessionId = uniqueId('s')

      const paused = await run(agent, 'Delete /tmp/a, then check the weather', { session: newSession({ sessionId }) })
      expect(paused.interruptions).toHaveLength(1)
      paused.state.approve(paused.interruptions[0]!)
      const approved = paused.state.toString()

      // A new process rebuilds the approved state from its string and the session by id.
      const resumedSession = newSession({ sessionId })
      const spies = spyOn(resumedSession)
      const blocked = await run(agent, await RunState.fromString(agent, approved), { session: resumedSession }).catch((e: unknown) => e)
      expect(blocked).toBeInstanceOf(OutputGuardrailTripwireTriggered)
      expect(deleted).toEqual(['/tmp/a'])
      // the approved call's result is appended on resume; the later tool work rides the transaction
      expect(spies.applyHistoryTransaction.mock.calls.map(([args]) => args.transaction.type)).toEqual(['append_items'])

      blocking.on = false
      const accepting = newSession({ sessionId })
      const acceptSpies = spyOn(accepting)
      const accepted = await run(agent, stateOf(blocked), { session: accepting })
      expect(accepted.finalOutput).toBe('Deleted /tmp/a; sunny in Oslo')
      expect(acceptSpies.applyHistoryTransaction.mock.calls.map(([args]) => args.transaction.type)).toEqual(['replace_suffix'])
      expect(deleted).toEqual(['/tmp/a'])
      expect(labels(await newSession({ sessionId }).getItems())).toEqual([
        'user:Delete /tmp/a, then check the weather',
        'function_call:call-del',
        'function_call_result:call-del',
        'function_call:call-oslo',
        'function_call_result:call-oslo',
        'assistant:Deleted /tmp/a; sunny in Oslo',
      ])
      model.assertComplete()
    })
  })
})

describe('createMemory with history transactions', () => {
  it('extracts facts from a turn the runner persisted by transaction', async () => {
    const memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })
    try {
      const ada = uniqueId('ada')
      const session = memory.session(uniqueId('s'), { userId: ada })
      const applyHistoryTransaction = vi.spyOn(session, 'applyHistoryTransaction')
      const addItems = vi.spyOn(session, 'addItems')
      const { blocking, guardrail } = switchableGuardrail()
      const model = new ScriptedModel([[functionCall('get_weather', { city: 'Lisbon' }, { callId: 'call-lis' })], [assistantMessage('Noted!')]])
      const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model, tools: [weatherTool()], outputGuardrails: [guardrail] })

      const blocked = await memory.run(agent, 'By the way, I live in Lisbon.', { session }).catch((e: unknown) => e)
      expect(blocked).toBeInstanceOf(OutputGuardrailTripwireTriggered)
      expect(applyHistoryTransaction).toHaveBeenCalledTimes(1)
      expect(addItems).not.toHaveBeenCalled()
      await memory.flush()
      const [fact] = await memory.recall({ userId: ada, query: 'where do I live' })
      expect(fact?.content).toBe('Lives in Lisbon')

      // accepting the output replaces the suffix; the user message (the fact's source) is untouched
      blocking.on = false
      await run(agent, stateOf(blocked), { session })
      await memory.flush()
      const why = await memory.explain(fact!.id, { userId: ada })
      expect(why.sources).toHaveLength(1)
      expect(why.sources[0]!.text).toContain('I live in Lisbon')
      expect((await memory.recall({ userId: ada, query: 'where do I live' }))[0]?.content).toBe('Lives in Lisbon')
    } finally {
      await memory.close()
    }
  })
})
