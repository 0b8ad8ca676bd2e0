import type { AgentInputItem, SessionHistoryTransactionArgs } from '@openai/agents'
import { describe, expect, it } from 'vitest'
import { forgetUser } from '../../../src/facts/forget-user.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { BACKENDS } from '../../helpers/databases.js'
import { useDatabase } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup } from '../../helpers/services.js'

const user = (text: string, extra: Record<string, unknown> = {}) =>
  ({ type: 'message', role: 'user', content: text, ...extra }) as AgentInputItem

const SECRET = 'sk-secret-value-123'

/** Items whose values JSON would change or drop, each with the path the error must name. */
function lossyItems(): Array<[string, unknown, string]> {
  const accessor = user('a')
  Object.defineProperty(accessor, 'providerData', { enumerable: true, get: () => ({ SECRET }) })
  const hidden = user('h')
  Object.defineProperty(hidden, 'providerData', { enumerable: false, value: { SECRET } })
  const symbolKey = user('s', { providerData: { [Symbol(SECRET)]: 1 } })
  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  const sparse = [1, 2]
  delete sparse[0]
  return [
    ['Date', user('d', { providerData: { x: new Date(0) } }), 'items[1].providerData.x'],
    ['Uint8Array', user('b', { providerData: { x: new Uint8Array([3, 7]) } }), 'items[1].providerData.x'],
    ['Map', user('m', { providerData: { x: new Map([[SECRET, 1]]) } }), 'items[1].providerData.x'],
    ['Set', user('m', { providerData: { x: new Set([SECRET]) } }), 'items[1].providerData.x'],
    ['Symbol value', user('s', { providerData: { x: Symbol(SECRET) } }), 'items[1].providerData.x'],
    ['Symbol key', symbolKey, 'items[1].providerData'],
    ['function', user('f', { providerData: { x: () => SECRET } }), 'items[1].providerData.x'],
    ['bigint', user('n', { providerData: { x: 42n } }), 'items[1].providerData.x'],
    ['NaN', user('n', { providerData: { x: Number.NaN } }), 'items[1].providerData.x'],
    ['Infinity', user('n', { providerData: { x: Infinity } }), 'items[1].providerData.x'],
    ['accessor', accessor, 'items[1].providerData'],
    ['non-enumerable', hidden, 'items[1].providerData'],
    ['proxy', new Proxy(user(SECRET), {}), 'items[1]'],
    ['sparse array', user('s', { providerData: { x: sparse } }), 'items[1].providerData.x'],
    ['undefined in an array', user('u', { providerData: { x: [undefined] } }), 'items[1].providerData.x[0]'],
    ['cycle', user('c', { providerData: cycle }), 'items[1].providerData.self'],
    ['class instance', user('c', { providerData: new (class Secretive {})() }), 'items[1].providerData'],
    ['toJSON', user('t', { toJSON: () => 42 }), 'items[1].toJSON'],
    ['odd key', user('k', { providerData: { 'a b': new Date(0) } }), 'items[1].providerData["a b"]'],
  ]
}

describeEachSetup(BACKENDS)('PostgresSession stored values (%s)', (backend) => {
  const db = useDatabase(backend)
  const newSession = (userId = uniqueId('u')) => new PostgresSession({ sessionId: uniqueId('s'), userId, db: db.handle })

  describe('values JSON would not keep', () => {
    it.each(lossyItems())('refuses a %s with invalid_item naming the path, writing nothing', async (_kind, item, path) => {
      const session = newSession()
      await session.addItems([user('before')])
      const error = await session.addItems([user('ok'), item as AgentInputItem]).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'invalid_item', details: { path } })
      expect((error as Error).message).toContain(path)
      expect((error as Error).message).not.toContain(SECRET)
      expect(await session.getItems()).toEqual([user('before')])
    })

    it.each(lossyItems())('refuses a %s in a history transaction without recording the operation', async (_kind, item, path) => {
      const session = newSession()
      const transaction = { type: 'append_items' as const, items: [user('ok'), item as AgentInputItem] }
      await expect(session.applyHistoryTransaction({ operationId: 'op', transaction })).rejects.toMatchObject({
        code: 'invalid_item',
        details: { path: `transaction.${path}` },
      })
      // The operation id was not used up: a valid transaction under it is stored.
      await session.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [user('x')] } })
      expect(await session.getItems()).toEqual([user('x')])
    })

    it('refuses holes in the item list itself', async () => {
      const session = newSession()
      await expect(session.addItems(new Array(2))).rejects.toMatchObject({ code: 'invalid_item', details: { path: 'items' } })
      // eslint-disable-next-line no-sparse-arrays
      await expect(session.addItems([user('a'), , user('b')] as AgentInputItem[])).rejects.toMatchObject({ code: 'invalid_item' })
      await expect(session.addItems(new Proxy([user('a')], {}))).rejects.toMatchObject({ code: 'invalid_item' })
      expect(await session.getItems()).toEqual([])
    })

    it('refuses a bad replacement in a history mutation', async () => {
      const session = newSession()
      const call = { type: 'function_call', callId: 'c1', name: 'f', arguments: '{}', status: 'completed' } as AgentInputItem
      await session.addItems([call])
      const replacement = { ...call, providerData: { at: new Date(0) } } as never
      await expect(
        session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'c1', replacement }] }),
      ).rejects.toMatchObject({ code: 'invalid_item', details: { path: 'args.mutations[0].replacement.providerData.at' } })
      expect(await session.getItems()).toEqual([call])
    })

    it('accepts what JSON keeps: null-prototype objects, undefined properties, nesting, shared objects', async () => {
      const session = newSession()
      const shared = { n: 1 }
      const item = user('ok', {
        providerData: Object.assign(Object.create(null), { a: shared, b: shared, c: undefined, deep: [[[{ x: 'y' }]]] }),
      })
      await session.addItems([item])
      expect(await session.getItems()).toEqual([user('ok', { providerData: { a: { n: 1 }, b: { n: 1 }, deep: [[[{ x: 'y' }]]] } })])
    })

    it('refuses nesting deeper than the limit instead of overflowing the stack', async () => {
      let deep: unknown = 'leaf'
      for (let i = 0; i < 10_000; i++) deep = [deep]
      const session = newSession()
      await expect(session.addItems([user('d', { providerData: deep })])).rejects.toMatchObject({ code: 'invalid_item' })
    })
  })

  describe('caller objects that throw', () => {
    it('wraps a throwing getter on the transaction envelope without its message', async () => {
      const session = newSession()
      const args = {} as SessionHistoryTransactionArgs
      Object.defineProperty(args, 'operationId', {
        get: () => {
          throw new Error(SECRET)
        },
      })
      const error = await session.applyHistoryTransaction(args).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'invalid_argument' })
      expect(JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause) })).not.toContain(SECRET)
    })

    it('never calls a getter on an item (it is refused before anything reads it)', async () => {
      let reads = 0
      const item = user('g')
      Object.defineProperty(item, 'content', {
        enumerable: true,
        get: () => {
          reads++
          throw new Error(SECRET)
        },
      })
      const error = await newSession().addItems([item]).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'invalid_item', details: { path: 'items[0].content' } })
      expect(reads).toBe(0)
    })
  })

  describe('recorded operation ids', () => {
    it('are forgotten with the user (forgetUser), so a re-applied transaction is stored', async () => {
      const userId = uniqueId('u')
      const session = newSession(userId)
      const tx = { operationId: 'op-forget', transaction: { type: 'append_items' as const, items: [user('x')] } }
      await session.applyHistoryTransaction(tx)
      await forgetUser(db.handle, userId)
      await session.applyHistoryTransaction(tx)
      expect(await session.getItems()).toEqual([user('x')])
    })
  })

  describe('addItems idempotency key', () => {
    it('stores a retried write once and returns normally', async () => {
      const session = newSession()
      await session.addItems([user('a')], { idempotencyKey: 'turn-1' })
      await session.addItems([user('a')], { idempotencyKey: 'turn-1' })
      await session.addItems([user('b')], { idempotencyKey: 'turn-2' })
      expect(await session.getItems()).toEqual([user('a'), user('b')])
    })

    it('refuses the same key with other items (session_conflict), changing nothing', async () => {
      const session = newSession()
      await session.addItems([user('a')], { idempotencyKey: 'turn-1' })
      await expect(session.addItems([user('other')], { idempotencyKey: 'turn-1' })).rejects.toMatchObject({
        code: 'session_conflict',
      })
      expect(await session.getItems()).toEqual([user('a')])
    })

    it('forgets keys when the session is cleared', async () => {
      const session = newSession()
      await session.addItems([user('a')], { idempotencyKey: 'turn-1' })
      await session.clearSession()
      await session.addItems([user('a')], { idempotencyKey: 'turn-1' })
      expect(await session.getItems()).toEqual([user('a')])
    })

    it.each([['', 'empty_id'], ['  ', 'empty_id'], ['a\u0000', 'invalid_argument'], ['\ud800', 'invalid_argument'], [7, 'invalid_argument']])(
      'refuses the key %j with %s',
      async (key, code) => {
        const session = newSession()
        await expect(session.addItems([user('a')], { idempotencyKey: key as string })).rejects.toMatchObject({ code })
        expect(await session.getItems()).toEqual([])
      },
    )
  })
})
