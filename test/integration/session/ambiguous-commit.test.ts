import { Agent, type AgentInputItem } from '@openai/agents'
import { assistantMessage, ScriptedModel } from '@openai/agents/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeWith } from '../../helpers/services.js'

const user = (text: string) => ({ type: 'message', role: 'user', content: text }) as AgentInputItem

/**
 * A real pg Pool whose next matching statement runs on the server and then reports the error a
 * connection lost right after COMMIT gives: the write is stored, the caller cannot know it.
 */
function poolLosingAcknowledgements(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  let armed: RegExp | undefined
  let fired = 0
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>
  ;(pool as { connect: unknown }).connect = async () => {
    const client = await connect()
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>
    ;(client as { query: unknown }).query = async (...args: unknown[]) => {
      const result = await query(...args)
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text ?? ''
      if (armed?.test(text)) {
        armed = undefined
        fired++
        throw new Error('Connection terminated unexpectedly')
      }
      return result
    }
    return client
  }
  return {
    pool,
    /** The next statement matching `pattern` commits, then fails as if the connection dropped. */
    loseNextAcknowledgement(pattern: RegExp) {
      armed = pattern
    },
    get fired() {
      return fired
    },
  }
}

const COMMIT = /^commit$/i
const APPEND = /insert into "agent_messages"/i

describeWith('postgres')('a write whose commit outcome is unknown (PostgreSQL)', () => {
  let faulty: ReturnType<typeof poolLosingAcknowledgements>
  beforeAll(() => {
    faulty = poolLosingAcknowledgements(inject('databaseUrl'))
  })
  afterAll(async () => {
    await faulty.pool.end()
  })
  const newSession = () => new PostgresSession({ sessionId: uniqueId('s'), userId: uniqueId('u'), database: { pool: faulty.pool } })

  it('raises connection_failed with outcome unknown, retryable, although the items were stored', async () => {
    const session = newSession()
    faulty.loseNextAcknowledgement(APPEND)
    const error = await session.addItems([user('hello')]).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'FactlineError', code: 'connection_failed', details: { outcome: 'unknown', retryable: true } })
    expect(await session.getItems()).toEqual([user('hello')])
    // Without a key a blind retry cannot tell: this is the duplicate the key exists to prevent.
    await session.addItems([user('hello')])
    expect(await session.getItems()).toEqual([user('hello'), user('hello')])
  })

  it('stores a keyed write once when it is retried after its acknowledgement was lost', async () => {
    const session = newSession()
    // A keyed append is one autocommitted statement (no transaction): it commits, then the answer is lost.
    faulty.loseNextAcknowledgement(APPEND)
    const items = [user('turn one'), user('and more')]
    await expect(session.addItems(items, { idempotencyKey: 'turn-1' })).rejects.toMatchObject({
      code: 'connection_failed',
      details: { outcome: 'unknown' },
    })
    await session.addItems(items, { idempotencyKey: 'turn-1' })
    expect(await session.getItems()).toEqual(items)
  })

  it('stores a history transaction once when it is retried after COMMIT was lost', async () => {
    const session = newSession()
    const tx = { operationId: 'op-1', transaction: { type: 'append_items' as const, items: [user('x')] } }
    faulty.loseNextAcknowledgement(COMMIT)
    await expect(session.applyHistoryTransaction(tx)).rejects.toMatchObject({ details: { outcome: 'unknown' } })
    await session.applyHistoryTransaction(tx)
    expect(await session.getItems()).toEqual([user('x')])
  })

  describe('memory.run', () => {
    let memory: Memory
    beforeAll(async () => {
      memory = await createMemory({ database: { pool: faulty.pool }, queue: false, env: false })
    })
    afterAll(async () => {
      await memory.close()
    })

    it('retries its own write after a lost acknowledgement and stores the turn once', async () => {
      const session = memory.session(uniqueId('s'), { userId: uniqueId('u') })
      const agent = new Agent({ name: 'a', model: new ScriptedModel([[assistantMessage('Noted.')]]) })
      const addItems = vi.spyOn(session, 'addItems')
      const before = faulty.fired
      faulty.loseNextAcknowledgement(APPEND)
      const result = await memory.run(agent, 'I live in Lisbon.', { session })
      expect(result.finalOutput).toBe('Noted.')
      expect(faulty.fired).toBe(before + 1)
      // The lost acknowledgement was the turn's write, retried once with the same key.
      const keys = addItems.mock.calls.map(([, options]) => options?.idempotencyKey)
      expect(keys.length).toBe(new Set(keys).size + 1)
      await expect(addItems.mock.results[0]!.value).rejects.toMatchObject({ details: { outcome: 'unknown' } })
      const items = await session.getItems()
      expect(items.map((i) => JSON.stringify(i)).filter((t) => t.includes('I live in Lisbon.'))).toHaveLength(1)
      expect(items.map((i) => JSON.stringify(i)).filter((t) => t.includes('Noted.'))).toHaveLength(1)
      await memory.flush()
    })
  })
})
