import { Agent, setTracingDisabled, type AgentInputItem } from '@openai/agents'
import { assistantMessage, ScriptedModel } from '@openai/agents/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { readSessionOwner } from '../../../src/session/sessions-table.js'
import { openBackend, type Backend } from '../../helpers/databases.js'
import { labels } from '../../helpers/runner-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup } from '../../helpers/services.js'

setTracingDisabled(true)

interface Party {
  userId?: string
  namespace: string
}

const user = (text: string) => ({ role: 'user', content: text }) as AgentInputItem
const call = { type: 'function_call', callId: 'call-1', name: 'lookup', arguments: '{}', status: 'completed' } as const
const result = {
  type: 'function_call_result',
  callId: 'call-1',
  name: 'lookup',
  status: 'completed',
  output: { type: 'text', text: 'ok' },
} as AgentInputItem
const HISTORY = [user('owner secret: I live in Lisbon'), call, result] as AgentInputItem[]

/** Every method of the Session contract and its extensions, as someone who may not touch the session. */
const METHODS: Record<string, (s: PostgresSession) => Promise<unknown>> = {
  getItems: (s) => s.getItems(),
  'getItems(limit)': (s) => s.getItems(1),
  addItems: (s) => s.addItems([user('intrusion')]),
  popItem: (s) => s.popItem(),
  clearSession: (s) => s.clearSession(),
  applyHistoryTransaction: (s) =>
    s.applyHistoryTransaction({ operationId: uniqueId('op'), transaction: { type: 'append_items', items: [user('intrusion')] } }),
  'applyHistoryTransaction(replace_suffix)': (s) =>
    s.applyHistoryTransaction({
      operationId: uniqueId('op'),
      transaction: { type: 'replace_suffix', expectedSuffix: [result], replacement: [user('intrusion')] },
    }),
  applyHistoryMutations: (s) =>
    s.applyHistoryMutations({
      mutations: [{ type: 'replace_function_call', callId: 'call-1', replacement: { ...call, arguments: '{"evil":1}' } }],
    }),
  replaceHistoryWithCompaction: (s) => s.replaceHistoryWithCompaction([user('intrusion')]),
  assertOwner: (s) => s.assertOwner(),
}

describeEachSetup<Backend>(['pglite', 'postgres'])('session ownership on %s', (backend) => {
  let handle: FactlineDb
  const open = (sessionId: string, party: Party) =>
    new PostgresSession({ sessionId, db: handle, namespace: party.namespace, ...(party.userId ? { userId: party.userId } : {}) })

  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle.close()
  })

  const alice = { userId: 'alice', namespace: 'support' }
  const anonymous = { namespace: 'support' }
  const OWNED: Array<[string, Party, Array<[string, Party]>]> = [
    [
      "a user's session",
      alice,
      [
        ['another user', { userId: 'mallory', namespace: 'support' }],
        ['no user', anonymous],
        ['another namespace', { userId: 'alice', namespace: 'sales' }],
      ],
    ],
    [
      'a session without a user',
      anonymous,
      [
        ['a user', { userId: 'mallory', namespace: 'support' }],
        ['another namespace', { namespace: 'sales' }],
      ],
    ],
  ]

  describe.each(OWNED)('%s', (_label, owner, intruders) => {
    describe.each(intruders)('opened by %s', (_intruder, intruder) => {
      it.each(Object.keys(METHODS))('%s fails with a generic session_conflict and changes nothing', async (method) => {
        const sessionId = uniqueId('s')
        await open(sessionId, owner).addItems(HISTORY)

        const error = await METHODS[method]!(open(sessionId, intruder)).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(error).toMatchObject({ code: 'session_conflict', details: { sessionId } })
        // Never names who owns it.
        expect(JSON.stringify({ message: (error as Error).message, details: (error as { details: unknown }).details })).not.toMatch(
          /alice|support/,
        )

        expect(await open(sessionId, owner).getItems()).toEqual(HISTORY)
        expect(await readSessionOwner(handle.db, { sessionId, userId: null }, 'session-id')).toEqual({ userId: owner.userId ?? null, namespace: owner.namespace })
      })
    })

    it.each(Object.keys(METHODS))('%s works for the owner', async (method) => {
      const sessionId = uniqueId('s')
      await open(sessionId, owner).addItems(HISTORY)
      await METHODS[method]!(open(sessionId, owner))
      expect(await readSessionOwner(handle.db, { sessionId, userId: null }, 'session-id')).toEqual({ userId: owner.userId ?? null, namespace: owner.namespace })
    })
  })

  it('reads a session that does not exist yet as empty, whoever asks, and creates nothing', async () => {
    const sessionId = uniqueId('s')
    for (const party of [alice, anonymous]) {
      expect(await open(sessionId, party).getItems()).toEqual([])
      expect(await open(sessionId, party).popItem()).toBeUndefined()
      await open(sessionId, party).clearSession()
      await open(sessionId, party).assertOwner()
    }
    expect(await readSessionOwner(handle.db, { sessionId, userId: null }, 'session-id')).toBeUndefined()
  })

  it('gives a session to its first writer for good: nobody else can take it over', async () => {
    const sessionId = uniqueId('s')
    await open(sessionId, anonymous).addItems([user('anonymous turn')])
    await expect(open(sessionId, alice).addItems([user('mine now?')])).rejects.toMatchObject({ code: 'session_conflict' })
    await expect(open(sessionId, alice).getItems()).rejects.toMatchObject({ code: 'session_conflict' })
    expect(labels(await open(sessionId, anonymous).getItems())).toEqual(['user:anonymous turn'])
    expect(await readSessionOwner(handle.db, { sessionId, userId: null }, 'session-id')).toEqual({ userId: null, namespace: 'support' })
  })

  it.each([
    ['a session id', { sessionId: 'chat\u0000-42' }],
    ['a user id', { sessionId: 'chat-42', userId: 'ali\u0000ce' }],
    ['a namespace', { sessionId: 'chat-42', namespace: 'sup\u0000port' }],
  ])('refuses U+0000 in %s with a typed error', (_label, options) => {
    expect(() => new PostgresSession({ ...options, db: handle })).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^(invalid_argument|invalid_config)$/) }),
    )
  })

  it('still stores U+0000 inside items', async () => {
    const s = open(uniqueId('s'), alice)
    await s.addItems([user('a\u0000b')])
    expect(await s.getItems()).toEqual([user('a\u0000b')])
  })

  it('caps the items and bytes of one write with content_too_large, writing nothing', async () => {
    const sessionId = uniqueId('s')
    const capped = new PostgresSession({ sessionId, db: handle, userId: 'alice', maxBatchItems: 3, maxBatchBytes: 200 })
    await expect(capped.addItems([user('1'), user('2'), user('3'), user('4')])).rejects.toMatchObject({
      code: 'content_too_large',
      details: { items: 4, maxBatchItems: 3 },
    })
    await expect(capped.addItems([user('x'.repeat(90)), user('y'.repeat(90)), user('z')])).rejects.toMatchObject({
      code: 'content_too_large',
      details: { index: 1, maxBatchBytes: 200 },
    })
    await expect(
      capped.applyHistoryTransaction({
        operationId: 'op',
        transaction: { type: 'append_items', items: [user('1'), user('2'), user('3'), user('4')] },
      }),
    ).rejects.toMatchObject({ code: 'content_too_large' })
    await expect(capped.replaceHistoryWithCompaction([user('1'), user('2'), user('3'), user('4')])).rejects.toMatchObject({
      code: 'content_too_large',
    })
    expect(await readSessionOwner(handle.db, { sessionId, userId: null }, 'session-id')).toBeUndefined()
  })
})

describeEachSetup<Backend>(['pglite', 'postgres'])('memory.run and memory.context on %s', (backend) => {
  let memory: Memory

  beforeAll(async () => {
    memory = await createMemory({
      database: backend === 'pglite' ? { dataDir: 'memory://' } : { url: inject('databaseUrl') },
      env: false,
    })
  })
  afterAll(async () => {
    await memory.close()
  })

  const agentWith = (model: ScriptedModel) => new Agent({ name: 'Assistant', instructions: 'Be brief.', model })

  async function aliceSession() {
    const sessionId = uniqueId('s')
    const alice = uniqueId('alice')
    await memory.session(sessionId, { userId: alice, namespace: 'support' }).addItems([user('owner secret: I live in Lisbon')])
    return { sessionId, alice }
  }

  it.each([
    ['another user', (id: string, alice: string) => memory.session(id, { userId: `${alice}-mallory`, namespace: 'support' }), {}],
    ['another namespace', (id: string, alice: string) => memory.session(id, { userId: alice, namespace: 'sales' }), {}],
    [
      'an explicit userId that is not the session owner',
      (id: string, alice: string) => memory.session(id, { userId: alice, namespace: 'support' }),
      { userId: 'mallory' },
    ],
  ])('fails with session_conflict before the model is called (%s)', async (_label, sessionFor, extra) => {
    const { sessionId, alice } = await aliceSession()
    for (const stream of [false, true]) {
      const model = new ScriptedModel([[assistantMessage('leaked')]])
      const session = sessionFor(sessionId, alice)
      const options = { session, ...extra }
      const running = stream
        ? memory.run(agentWith(model), 'What do you know?', { ...options, stream: true })
        : memory.run(agentWith(model), 'What do you know?', options)
      await expect(running).rejects.toMatchObject({ code: 'session_conflict' })
      expect(model.calls).toHaveLength(0)
    }
    expect(labels(await memory.session(sessionId, { userId: alice, namespace: 'support' }).getItems())).toEqual([
      'user:owner secret: I live in Lisbon',
    ])
  })

  it('checks ownership in memory.context even when no recent items are read', async () => {
    const { sessionId, alice } = await aliceSession()
    const session = memory.session(sessionId, { userId: `${alice}-mallory`, namespace: 'support' })
    await expect(memory.context({ userId: `${alice}-mallory`, input: 'hi', session })).rejects.toMatchObject({
      code: 'session_conflict',
    })
  })

  it("runs for the session's owner", async () => {
    const { sessionId, alice } = await aliceSession()
    const model = new ScriptedModel([[assistantMessage('Hello')]])
    await memory.run(agentWith(model), 'Hi', { session: memory.session(sessionId, { userId: alice, namespace: 'support' }) })
    expect(model.calls).toHaveLength(1)
  })

  it.each([
    ['no scope', undefined],
    ['no userId', {}],
    ['an empty userId', { userId: '' }],
  ])('memory.session refuses %s with unknown_user', (_label, scope) => {
    expect(() => memory.session(uniqueId('s'), scope as never)).toThrow(expect.objectContaining({ code: 'unknown_user' }))
  })
})
