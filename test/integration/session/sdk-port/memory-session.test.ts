// factline's port of packages/agents-core/test/memorySession.test.ts from openai/openai-agents-js
// (MIT License, Copyright (c) OpenAI), run against the SDK's MemorySession (control) and
// PostgresSession on PGlite and PostgreSQL. Where the SDK asserts its UserError wording, the port
// asserts factline's error code on PostgresSession (see expectRefusal).
import { getLogger, MemorySession, type AgentInputItem, type SessionHistoryTransactionArgs } from '@openai/agents'
import { expect, test, vi } from 'vitest'
import type { Logger } from '../../../../src/logger.js'
import { PostgresSession } from '../../../../src/session/postgres-session.js'
import { uniqueId } from '../../../helpers/test-env.js'
import { useDatabase } from '../../../helpers/suite-fixtures.js'
import { backendOf, expectRefusal, describeEachKind, useSessionFactory } from './session-kinds.js'

const createUserMessage = (text: string): AgentInputItem => ({ role: 'user', content: [{ type: 'input_text', text }] })

describeEachKind('SDK MemorySession tests on %s', (kind) => {
  const sessions = useSessionFactory(kind)
  type SdkLogger = ReturnType<typeof getLogger>
  const pgBackend = backendOf(kind)
  const logDb = pgBackend === undefined ? undefined : useDatabase(pgBackend)

  test.each([
    [true, false],
    [false, true],
    [true, true],
  ])('redacts item contents when model=%s or tool=%s logging is disabled', async (dontLogModelData, dontLogToolData) => {
    const debug = vi.fn()
    const secret = 'SECRET_MEMORY_SESSION_VALUE_123'
    let session
    if (!logDb) {
      const logger: SdkLogger = { namespace: 'memory-session-test', debug, error: vi.fn(), warn: vi.fn(), dontLogModelData, dontLogToolData }
      session = new MemorySession({ sessionId: 'session-redacted', logger, initialItems: [createUserMessage(secret)] })
    } else {
      // factline's logger has no such switches: it never logs item contents at all.
      const logger: Logger = { debug, info: debug, warn: debug, error: debug }
      session = new PostgresSession({ sessionId: uniqueId('session-redacted'), db: logDb.handle, logger })
      await session.addItems([createUserMessage(secret)])
    }
    expect(await session.getItems()).toEqual([createUserMessage(secret)])
    await session.addItems([createUserMessage(`${secret}-added`)])
    expect(await session.popItem()).toEqual(createUserMessage(`${secret}-added`))
    expect(JSON.stringify(debug.mock.calls)).not.toContain(secret)
  })

  // Intended difference: PostgresSession never writes item contents to its logger.
  test.runIf(kind === 'MemorySession')('preserves item diagnostics when model and tool logging are enabled', async () => {
    const debug = vi.fn()
    const logger: SdkLogger = { namespace: 'memory-session-test', debug, error: vi.fn(), warn: vi.fn(), dontLogModelData: false, dontLogToolData: false }
    const secret = 'SECRET_MEMORY_SESSION_DIAGNOSTIC_123'
    const session = new MemorySession({ sessionId: 'session-diagnostic', logger, initialItems: [createUserMessage(secret)] })
    await session.getItems()
    expect(JSON.stringify(debug.mock.calls)).toContain(secret)
  })

  test('stores and retrieves items in memory', async () => {
    const initialItems = [createUserMessage('hello')]
    const session = await sessions.create({ sessionId: 'session-1', initialItems })
    expect(await session.getSessionId()).toMatch(/^session-1/)
    expect(await session.getItems()).toEqual(initialItems)
    const newItems = [createUserMessage('one'), createUserMessage('two')]
    await session.addItems(newItems)
    expect(await session.getItems()).toEqual([...initialItems, ...newItems])
    expect(await session.getItems(2)).toEqual(newItems)
    expect(await session.popItem()).toEqual(newItems[1])
    expect(await session.getItems()).toEqual([...initialItems, newItems[0]])
    await session.clearSession()
    expect(await session.getItems()).toEqual([])
    expect(await session.getItems(3)).toEqual([])
    expect(await session.popItem()).toBeUndefined()
  })

  test('returns clones so external mutations do not persist', async () => {
    const initial = createUserMessage('start')
    const session = await sessions.create({ initialItems: [initial] })
    const items = await session.getItems()
    expect(items[0]).not.toBe(initial)
    ;(items[0] as any).content = 'mutated'
    expect(await session.getItems()).toEqual([createUserMessage('start')])
    const next = createUserMessage('next')
    await session.addItems([next])
    ;(next as any).content = 'mutated'
    expect(await session.getItems()).toEqual([createUserMessage('start'), createUserMessage('next')])
    const popped = await session.popItem()
    expect(popped).toEqual(createUserMessage('next'))
    if (popped) (popped as any).content = 'mutated'
    expect(await session.getItems()).toEqual([createUserMessage('start')])
  })

  const call = (id: string, args: string) =>
    ({ type: 'function_call', id, callId: 'call-1', name: 'lookup', status: 'completed', arguments: args }) satisfies AgentInputItem

  // The next three use `expected` on history mutations, which SDK 0.20 does not have: its own
  // MemorySession fails them (see the README's conformance counts), so they run as `fails` on every kind.
  test.fails('applies history mutations atomically', async () => {
    const session = await sessions.create({
      initialItems: [createUserMessage('start'), call('call-old-1', '{"ok":false}'), call('call-old-2', '{"duplicate":true}')],
    })
    const expected = call('call-old-2', '{"duplicate":true}')
    const replacement = call('call-new', '{"ok":true}')
    await session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'call-1', expected, replacement } as any] })
    expect(await session.getItems()).toEqual([createUserMessage('start'), call('call-old-1', '{"ok":false}'), replacement])
  })

  const lookup = (callId: string, value: number) =>
    ({ type: 'function_call', callId, name: 'lookup', status: 'completed', arguments: `{"value":${value}}` }) satisfies AgentInputItem

  test.fails('leaves history unchanged when an expected mutation batch does not match', async () => {
    const firstCall = lookup('call-1', 1)
    const secondCall = lookup('call-2', 2)
    const initialItems = [createUserMessage('start'), firstCall, secondCall]
    const session = await sessions.create({ initialItems })
    await expect(
      session.applyHistoryMutations({
        mutations: [
          { type: 'replace_function_call', callId: 'call-1', expected: firstCall, replacement: lookup('call-1', 10) },
          { type: 'replace_function_call', callId: 'call-2', expected: lookup('call-2', 999), replacement: lookup('call-2', 20) },
        ] as any,
      }),
    ).rejects.toThrow()
    expect(await session.getItems()).toEqual(initialItems)
  })

  test.fails('validates an expected mutation batch against one history version', async () => {
    const originalCall = lookup('call-dependent', 1)
    const session = await sessions.create({ initialItems: [originalCall] })
    await expect(
      session.applyHistoryMutations({
        mutations: [
          { type: 'replace_function_call', callId: 'call-dependent', expected: originalCall, replacement: lookup('call-dependent', 2) },
          { type: 'replace_function_call', callId: 'call-dependent', expected: lookup('call-dependent', 2), replacement: lookup('call-dependent', 3) },
        ] as any,
      }),
    ).rejects.toThrow()
    expect(await session.getItems()).toEqual([originalCall])
  })

  test('applies append transactions idempotently', async () => {
    const session = await sessions.create({ initialItems: [createUserMessage('start')] })
    const appended = createUserMessage('committed')
    const args = { operationId: 'operation-append-1', transaction: { type: 'append_items' as const, items: [appended] } }
    await session.applyHistoryTransaction(args)
    ;(appended as any).content = 'mutated'
    await session.addItems([createUserMessage('later')])
    await session.applyHistoryTransaction({
      operationId: args.operationId,
      transaction: { type: 'append_items', items: [createUserMessage('committed')] },
    })
    expect(await session.getItems()).toEqual([createUserMessage('start'), createUserMessage('committed'), createUserMessage('later')])
  })

  test('replaces an exact history suffix idempotently', async () => {
    const prefix = createUserMessage('start')
    const expected = createUserMessage('blocked')
    const replacement = createUserMessage('accepted')
    const session = await sessions.create({ initialItems: [prefix, expected] })
    const transaction = {
      operationId: 'operation-replace-1',
      transaction: { type: 'replace_suffix' as const, expectedSuffix: [expected], replacement: [replacement] },
    }
    await session.applyHistoryTransaction(transaction)
    await session.addItems([createUserMessage('later')])
    await session.applyHistoryTransaction(transaction)
    expect(await session.getItems()).toEqual([prefix, replacement, createUserMessage('later')])
  })

  test('rejects a suffix mismatch without recording the operation', async () => {
    const start = createUserMessage('start')
    const session = await sessions.create({ initialItems: [start] })
    await expectRefusal(
      sessions,
      session.applyHistoryTransaction({
        operationId: 'operation-replace-after-conflict',
        transaction: { type: 'replace_suffix', expectedSuffix: [createUserMessage('different')], replacement: [createUserMessage('accepted')] },
      }),
      { sdkMessage: 'suffix no longer matches', code: 'session_conflict' },
    )
    expect(await session.getItems()).toEqual([start])
    await session.applyHistoryTransaction({
      operationId: 'operation-replace-after-conflict',
      transaction: { type: 'replace_suffix', expectedSuffix: [start], replacement: [createUserMessage('accepted')] },
    })
    expect(await session.getItems()).toEqual([createUserMessage('accepted')])
  })

  test('rejects operation ID reuse with different content', async () => {
    const session = await sessions.create()
    await session.applyHistoryTransaction({ operationId: 'operation-conflict', transaction: { type: 'append_items', items: [createUserMessage('first')] } })
    await expectRefusal(
      sessions,
      session.applyHistoryTransaction({ operationId: 'operation-conflict', transaction: { type: 'append_items', items: [createUserMessage('second')] } }),
      { sdkMessage: 'already applied with a different transaction', code: 'session_conflict' },
    )
    expect(await session.getItems()).toEqual([createUserMessage('first')])
  })

  test('records an empty append transaction', async () => {
    const session = await sessions.create()
    await session.applyHistoryTransaction({ operationId: 'operation-empty', transaction: { type: 'append_items', items: [] } })
    await expectRefusal(
      sessions,
      session.applyHistoryTransaction({ operationId: 'operation-empty', transaction: { type: 'append_items', items: [createUserMessage('unexpected')] } }),
      { sdkMessage: 'already applied with a different transaction', code: 'session_conflict' },
    )
    expect(await session.getItems()).toEqual([])
  })

  test('resets transaction identities when the session is cleared', async () => {
    const session = await sessions.create()
    const transaction = { operationId: 'operation-after-reset', transaction: { type: 'append_items' as const, items: [createUserMessage('committed')] } }
    await session.applyHistoryTransaction(transaction)
    await session.clearSession()
    await session.applyHistoryTransaction(transaction)
    expect(await session.getItems()).toEqual([createUserMessage('committed')])
  })

  test('rejects invalid transaction input before mutation', async () => {
    const start = createUserMessage('start')
    const session = await sessions.create({ initialItems: [start] })
    await expectRefusal(sessions, session.applyHistoryTransaction({ operationId: '   ', transaction: { type: 'append_items', items: [] } }), {
      sdkMessage: 'operationId must be a non-empty string',
      code: 'empty_id',
    })
    await expectRefusal(sessions, session.applyHistoryTransaction({ operationId: 'operation-unknown', transaction: { type: 'unknown' } as any }), {
      sdkMessage: 'Unsupported session history transaction type',
      code: 'invalid_argument',
    })
    await expectRefusal(sessions, session.applyHistoryTransaction({ operationId: 'operation-missing-transaction', transaction: null as any }), {
      sdkMessage: 'transaction must be an object',
      code: 'invalid_argument',
    })
    await expectRefusal(
      sessions,
      session.applyHistoryTransaction({ operationId: 'operation-invalid-item', transaction: { type: 'append_items', items: [42] } as any }),
      { sdkMessage: 'items contain invalid or unsupported data', code: 'invalid_item' },
    )
    expect(await session.getItems()).toEqual([start])
  })

  test('rejects unsupported transaction metadata before mutation', async () => {
    const start = createUserMessage('start')
    const session = await sessions.create({ initialItems: [start] })
    const withDate = createUserMessage('unsupported')
    withDate.providerData = { timestamp: new Date(0) }
    const withCycle = createUserMessage('cyclic')
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    withCycle.providerData = cycle
    const withBigInt = createUserMessage('bigint')
    withBigInt.providerData = { value: 42n }
    const sparseItems = new Array<AgentInputItem>(1)
    const unsupportedCases: Array<[string, AgentInputItem[]]> = [
      ['operation-date', [withDate]],
      ['operation-cycle', [withCycle]],
      ['operation-bigint', [withBigInt]],
      ['operation-sparse', sparseItems],
    ]
    for (const [operationId, items] of unsupportedCases) {
      await expectRefusal(sessions, session.applyHistoryTransaction({ operationId, transaction: { type: 'append_items', items } }), {
        sdkMessage: 'items contain invalid or unsupported data',
        code: 'invalid_item',
      })
    }
    expect(await session.getItems()).toEqual([start])
  })

  test('rejects non-enumerable metadata before mutation', async () => {
    const start = createUserMessage('start')
    const session = await sessions.create({ initialItems: [start] })
    const item = createUserMessage('unsupported')
    Object.defineProperty(item, 'providerData', { enumerable: false, value: { hidden: true } })
    await expectRefusal(
      sessions,
      session.applyHistoryTransaction({ operationId: 'operation-non-enumerable', transaction: { type: 'append_items', items: [item] } }),
      { sdkMessage: 'items contain invalid or unsupported data', code: 'invalid_item' },
    )
    expect(await session.getItems()).toEqual([start])
    const retryItem = createUserMessage('retry')
    await session.applyHistoryTransaction({ operationId: 'operation-non-enumerable', transaction: { type: 'append_items', items: [retryItem] } })
    expect(await session.getItems()).toEqual([start, retryItem])
  })

  test('rejects unexpected transaction fields before mutation', async () => {
    const start = createUserMessage('start')
    const session = await sessions.create({ initialItems: [start] })
    await expectRefusal(
      sessions,
      session.applyHistoryTransaction({
        operationId: 'operation-unexpected-append-field',
        transaction: { type: 'append_items', items: [createUserMessage('unsupported')], metadata: { attempt: 1 } } as any,
      }),
      { sdkMessage: 'append transaction fields are invalid', code: 'invalid_argument' },
    )
    await expectRefusal(
      sessions,
      session.applyHistoryTransaction({
        operationId: 'operation-unexpected-suffix-field',
        transaction: { type: 'replace_suffix', expectedSuffix: [start], replacement: [createUserMessage('unsupported')], metadata: { attempt: 1 } } as any,
      }),
      { sdkMessage: 'suffix transaction fields are invalid', code: 'invalid_argument' },
    )
    expect(await session.getItems()).toEqual([start])
    const retryItem = createUserMessage('retry')
    await session.applyHistoryTransaction({ operationId: 'operation-unexpected-append-field', transaction: { type: 'append_items', items: [retryItem] } })
    expect(await session.getItems()).toEqual([start, retryItem])
  })

  test('does not expose transaction content in snapshot errors', async () => {
    const session = await sessions.create()
    const item = createUserMessage('unsupported')
    item.providerData = { secret: Symbol('api-key-secret') }
    let error: unknown
    try {
      await session.applyHistoryTransaction({ operationId: 'operation-sensitive-invalid', transaction: { type: 'append_items', items: [item] } })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(Error)
    if (sessions.isControl) expect((error as Error).message).toBe('Session history transaction items contain invalid or unsupported data.')
    else expect(error).toMatchObject({ code: 'invalid_item' })
    expect((error as Error).message).not.toContain('api-key-secret')
    expect(await session.getItems()).toEqual([])
  })

  test('copies shared-backed binary transaction data', async () => {
    const session = await sessions.create()
    const sharedBytes = new Uint8Array(new SharedArrayBuffer(2))
    sharedBytes.set([3, 7])
    const item = createUserMessage('binary')
    item.providerData = { bytes: sharedBytes }
    const apply = session.applyHistoryTransaction({ operationId: 'operation-shared-binary', transaction: { type: 'append_items', items: [item] } })
    if (!sessions.isControl) {
      // Intended difference: JSON cannot keep bytes, so PostgresSession refuses them (store base64).
      await expect(apply).rejects.toMatchObject({ code: 'invalid_item', details: { path: 'transaction.items[0].providerData.bytes' } })
      expect(await session.getItems()).toEqual([])
      return
    }
    await apply
    sharedBytes[0] = 9
    const retryItem = createUserMessage('binary')
    retryItem.providerData = { bytes: new Uint8Array([3, 7]) }
    await session.applyHistoryTransaction({ operationId: 'operation-shared-binary', transaction: { type: 'append_items', items: [retryItem] } })
    const [stored] = await session.getItems()
    expect((stored!.providerData?.bytes as Uint8Array)[0]).toBe(3)
  })

  test('canonicalizes ordinary object prototypes for retries and suffixes', async () => {
    const session = await sessions.create()
    const appended = createUserMessage('canonical')
    appended.providerData = Object.assign(Object.create(null), { source: 'provider' })
    await session.applyHistoryTransaction({ operationId: 'operation-canonical-append', transaction: { type: 'append_items', items: [appended] } })
    const [roundTripped] = await session.getItems()
    await session.applyHistoryTransaction({ operationId: 'operation-canonical-append', transaction: { type: 'append_items', items: [roundTripped!] } })
    await session.applyHistoryTransaction({
      operationId: 'operation-canonical-replace',
      transaction: { type: 'replace_suffix', expectedSuffix: [appended], replacement: [createUserMessage('replaced')] },
    })
    expect(await session.getItems()).toEqual([createUserMessage('replaced')])
  })

  test('rejects unsupported cloned values without recording the operation', async () => {
    const typedArrayItem = createUserMessage('unsupported-typed-array')
    typedArrayItem.providerData = { values: new Uint16Array([300]) }
    const proxiedItems = new Proxy([createUserMessage('proxied')], {})
    const session = await sessions.create()
    for (const items of [[typedArrayItem], proxiedItems]) {
      await expectRefusal(sessions, session.applyHistoryTransaction({ operationId: 'operation-rejected-clone', transaction: { type: 'append_items', items } }), {
        sdkMessage: 'items contain invalid or unsupported data',
        code: 'invalid_item',
      })
    }
    await session.applyHistoryTransaction({
      operationId: 'operation-rejected-clone',
      transaction: { type: 'append_items', items: [createUserMessage('accepted-after-rejections')] },
    })
    expect(await session.getItems()).toEqual([createUserMessage('accepted-after-rejections')])
  })

  test('reads the transaction envelope once and redacts accessor errors', async () => {
    const session = await sessions.create()
    let operationIdReads = 0
    const args = { transaction: { type: 'append_items' as const, items: [createUserMessage('once')] } } as SessionHistoryTransactionArgs
    Object.defineProperty(args, 'operationId', {
      enumerable: true,
      get: () => {
        operationIdReads++
        return operationIdReads === 1 ? 'operation-read-once' : 'changed'
      },
    })
    await session.applyHistoryTransaction(args)
    expect(operationIdReads).toBe(1)
    operationIdReads = 0
    await session.applyHistoryTransaction(args)
    expect(operationIdReads).toBe(1)
    expect(await session.getItems()).toEqual([createUserMessage('once')])
    const throwingArgs = {} as SessionHistoryTransactionArgs
    Object.defineProperty(throwingArgs, 'operationId', {
      get: () => {
        throw new Error('api-key-secret')
      },
    })
    await expectRefusal(sessions, session.applyHistoryTransaction(throwingArgs), {
      sdkMessage: 'Session history transaction arguments are invalid.',
      code: 'invalid_argument',
    })
    try {
      await session.applyHistoryTransaction(throwingArgs)
    } catch (error) {
      expect((error as Error).message).not.toContain('api-key-secret')
    }
  })
})
