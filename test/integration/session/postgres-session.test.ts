import type { AgentInputItem } from '@openai/agents'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openBackend, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup } from '../../helpers/services.js'

const item = (text: string, role: 'user' | 'assistant' = 'user') => ({ role, content: text }) as AgentInputItem
const texts = (items: AgentInputItem[]) => items.map((i) => (i as { content: string }).content)

/** Every shape the runner stores, plus the awkward strings jsonb would mangle. */
const ROUND_TRIP_ITEMS = [
  { role: 'user', content: 'no type field' },
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'with a type field' }] },
  { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'hi', annotations: [] }] },
  { type: 'function_call', callId: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}', status: 'completed' },
  { type: 'function_call_result', callId: 'call_1', name: 'get_weather', status: 'completed', output: { type: 'text', text: 'sunny' } },
  { type: 'reasoning', id: 'rs_1', content: [{ type: 'input_text', text: 'thinking' }], providerData: { encrypted: 'x' } },
  { type: 'compaction', encrypted_content: 'opaque-summary' },
  { role: 'user', content: 'unicode: 日本語 · emoji 😀 · rtl שלום · combining é' },
  { role: 'user', content: 'nul \u0000 inside' },
  { role: 'user', content: 'lone surrogates \ud800 and \udfff' },
  { role: 'user', content: 'key order', zeta: 1, alpha: 2, middle: { z: 1, a: 2 } },
] as unknown as AgentInputItem[]

describeEachSetup<Backend>(['pglite', 'postgres', 'citus'])('PostgresSession on %s', (backend) => {
  let handle: FactlineDb
  const session = (options: { sessionId?: string; userId?: string; namespace?: string; maxItemBytes?: number } = {}) =>
    new PostgresSession({ sessionId: uniqueId('s'), ...options, db: handle })

  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle.close()
  })

  it('returns the session id without touching the database', async () => {
    const closed = new PostgresSession({ sessionId: 'no-db-needed', database: { url: 'postgres://nobody@127.0.0.1:1/none' } })
    await expect(closed.getSessionId()).resolves.toBe('no-db-needed')
  })

  it('starts empty: getItems gives [] and popItem gives undefined', async () => {
    const s = session()
    expect(await s.getItems()).toEqual([])
    expect(await s.popItem()).toBeUndefined()
  })

  it('round-trips every item shape exactly, including key order, \\u0000 and lone surrogates', async () => {
    const s = session()
    await s.addItems(ROUND_TRIP_ITEMS)
    const back = await s.getItems()
    expect(back).toEqual(ROUND_TRIP_ITEMS)
    expect(JSON.stringify(back)).toBe(JSON.stringify(ROUND_TRIP_ITEMS))
    expect(Object.keys(back.at(-1) as object)).toEqual(['role', 'content', 'zeta', 'alpha', 'middle'])
  })

  it('round-trips a 1 MB item', async () => {
    const s = session()
    const big = item('x'.repeat(1024 * 1024) + 'end')
    await s.addItems([big])
    expect(await s.getItems()).toEqual([big])
  })

  it('returns copies: mutating a returned item changes nothing stored', async () => {
    const s = session()
    await s.addItems([item('original')])
    const [first] = await s.getItems()
    ;(first as { content: string }).content = 'mutated'
    expect(texts(await s.getItems())).toEqual(['original'])
  })

  it('keeps order across batches and returns the last N items oldest-first', async () => {
    const s = session()
    await s.addItems([item('1'), item('2'), item('3')])
    await s.addItems([item('4')])
    await s.addItems([item('5'), item('6')])
    expect(texts(await s.getItems())).toEqual(['1', '2', '3', '4', '5', '6'])
    expect(texts(await s.getItems(2))).toEqual(['5', '6'])
    expect(texts(await s.getItems(4))).toEqual(['3', '4', '5', '6'])
    expect(texts(await s.getItems(100))).toEqual(['1', '2', '3', '4', '5', '6'])
    expect(await s.getItems(0)).toEqual([])
  })

  it('caps getItems() at historyLimit without orphaning a tool result, and leaves explicit limits alone', async () => {
    const id = uniqueId('s')
    const call = { type: 'function_call', callId: 'c1', name: 'f', arguments: '{}' } as AgentInputItem
    const result = { type: 'function_call_result', callId: 'c1', name: 'f', status: 'completed', output: 'ok' } as AgentInputItem
    await session({ sessionId: id }).addItems([item('1'), item('2'), call, result, item('3'), item('4')])
    const capped = new PostgresSession({ sessionId: id, db: handle, historyLimit: 3 })
    // The newest 3 would start with the result; its call is cut off, so the result goes too.
    expect(await capped.getItems()).toEqual([item('3'), item('4')])
    expect(await new PostgresSession({ sessionId: id, db: handle, historyLimit: 4 }).getItems()).toEqual([call, result, item('3'), item('4')])
    expect(await capped.getItems(6)).toHaveLength(6)
  })

  it('rejects a negative or non-integer limit with invalid_argument', async () => {
    const s = session()
    await expect(s.getItems(-1)).rejects.toMatchObject({ code: 'invalid_argument' })
    await expect(s.getItems(1.5)).rejects.toMatchObject({ code: 'invalid_argument' })
    await expect(s.getItems(Number.NaN)).rejects.toMatchObject({ code: 'invalid_argument' })
  })

  it('writes nothing for an empty batch', async () => {
    const s = session()
    await s.addItems([])
    const row = await handle.db.selectFrom('agent_sessions').selectAll().where('session_id', '=', await s.getSessionId()).executeTakeFirst()
    expect(row).toBeUndefined()
  })

  it('creates the session row on first write with user and namespace, and bumps updated_at', async () => {
    const s = session({ userId: 'user-1', namespace: 'work' })
    await s.addItems([item('a')])
    const id = await s.getSessionId()
    const first = await handle.db.selectFrom('agent_sessions').selectAll().where('session_id', '=', id).executeTakeFirstOrThrow()
    expect(first).toMatchObject({ user_id: 'user-1', namespace: 'work' })
    await new Promise((r) => setTimeout(r, 20))
    await s.addItems([item('b')])
    const second = await handle.db.selectFrom('agent_sessions').selectAll().where('session_id', '=', id).executeTakeFirstOrThrow()
    expect(second.updated_at.getTime()).toBeGreaterThan(first.updated_at.getTime())
    expect(second.created_at.getTime()).toBe(first.created_at.getTime())
  })

  it('popItem removes and returns the newest item', async () => {
    const s = session()
    await s.addItems([item('1'), item('2'), item('3')])
    expect(await s.popItem()).toEqual(item('3'))
    expect(await s.popItem()).toEqual(item('2'))
    expect(texts(await s.getItems())).toEqual(['1'])
    expect(await s.popItem()).toEqual(item('1'))
    expect(await s.popItem()).toBeUndefined()
  })

  it('never returns the same item to two concurrent pops', async () => {
    const id = uniqueId('s')
    await session({ sessionId: id }).addItems(Array.from({ length: 20 }, (_, i) => item(String(i))))
    const popped = await Promise.all(Array.from({ length: 10 }, () => session({ sessionId: id }).popItem()))
    const values = popped.map((p) => (p as { content: string } | undefined)?.content)
    expect(new Set(values).size).toBe(10)
    expect(values.every((v) => v !== undefined)).toBe(true)
    expect(await session({ sessionId: id }).getItems()).toHaveLength(10)
  })

  it.runIf(backend === 'postgres')('pops the newest item even while another transaction holds a key-share lock on it', async () => {
    // An extraction job inserting fact_sources holds exactly this lock on the item it cites.
    const s = session()
    await s.addItems([item('older'), item('newest')])
    const other = new pg.Client({ connectionString: inject('databaseUrl') })
    await other.connect()
    await other.query('begin')
    await other.query(
      'select id from agent_messages where session_id = $1 order by id desc limit 1 for key share',
      [await s.getSessionId()],
    )
    const popping = s.popItem()
    await new Promise((r) => setTimeout(r, 100))
    await other.query('commit')
    await other.end()
    expect(await popping).toEqual(item('newest'))
    expect(texts(await s.getItems())).toEqual(['older'])
  })

  it('clearSession removes every item and leaves the session usable', async () => {
    const s = session({ userId: 'u-clear' })
    await s.addItems([item('1'), item('2')])
    await s.clearSession()
    expect(await s.getItems()).toEqual([])
    await s.addItems([item('3')])
    expect(texts(await s.getItems())).toEqual(['3'])
  })

  it('replaceHistoryWithCompaction swaps the whole history atomically', async () => {
    const s = session()
    await s.addItems([item('1'), item('2'), item('3')])
    const compacted = [{ type: 'compaction', encrypted_content: 'summary' }, item('3')] as AgentInputItem[]
    await s.replaceHistoryWithCompaction(compacted)
    expect(await s.getItems()).toEqual(compacted)
  })

  it('a failing replaceHistoryWithCompaction leaves the old history untouched', async () => {
    const s = session()
    await s.addItems([item('1'), item('2')])
    await expect(s.replaceHistoryWithCompaction([item('ok'), 42 as unknown as AgentInputItem])).rejects.toMatchObject({
      code: 'invalid_item',
    })
    expect(texts(await s.getItems())).toEqual(['1', '2'])
  })

  it('keeps two sessions in one database apart', async () => {
    const a = session()
    const b = session()
    await a.addItems([item('for a')])
    await b.addItems([item('for b')])
    expect(texts(await a.getItems())).toEqual(['for a'])
    expect(texts(await b.getItems())).toEqual(['for b'])
    await a.clearSession()
    expect(texts(await b.getItems())).toEqual(['for b'])
  })

  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['an array', [1, 2]],
    ['a number', 7],
    ['an object with neither type nor role', { content: 'x' }],
  ])('rejects %s as an item with invalid_item and writes nothing', async (_label, bad) => {
    const s = session()
    await s.addItems([item('kept')])
    await expect(s.addItems([item('new'), bad as unknown as AgentInputItem])).rejects.toMatchObject({ code: 'invalid_item' })
    expect(texts(await s.getItems())).toEqual(['kept'])
  })

  it('rejects an item that cannot be serialised', async () => {
    const s = session()
    const cyclic: Record<string, unknown> = { role: 'user', content: 'loop' }
    cyclic.self = cyclic
    await expect(s.addItems([cyclic as unknown as AgentInputItem])).rejects.toMatchObject({ code: 'invalid_item' })
    await expect(s.addItems([{ role: 'user', content: 10n } as unknown as AgentInputItem])).rejects.toMatchObject({
      code: 'invalid_item',
    })
  })

  it('rejects an oversize item with content_too_large, writes nothing and stays usable', async () => {
    const s = session({ maxItemBytes: 1000 })
    await expect(s.addItems([item('small'), item('y'.repeat(2000))])).rejects.toMatchObject({
      code: 'content_too_large',
      details: { index: 1, maxItemBytes: 1000 },
    })
    expect(await s.getItems()).toEqual([])
    await s.addItems([item('fine')])
    expect(texts(await s.getItems())).toEqual(['fine'])
  })

  it.each([
    ['empty', '', 'empty_id'],
    ['blank', '   ', 'empty_id'],
    ['a number', 42, 'invalid_argument'],
    ['undefined', undefined, 'invalid_argument'],
    ['too long', 'x'.repeat(513), 'invalid_argument'],
  ])('rejects a session id that is %s', (_label, sessionId, code) => {
    expect(() => new PostgresSession({ sessionId: sessionId as string, db: handle })).toThrow(
      expect.objectContaining({ code }),
    )
  })

  it.runIf(backend !== 'citus')('refuses to write into a session that belongs to another user, and writes nothing', async () => {
    const id = uniqueId('s')
    await session({ sessionId: id, userId: 'alice' }).addItems([item('alice says hi')])
    await expect(session({ sessionId: id, userId: 'mallory' }).addItems([item('intrusion')])).rejects.toMatchObject({
      code: 'session_conflict',
    })
    await expect(session({ sessionId: id, userId: 'alice', namespace: 'other' }).addItems([item('x')])).rejects.toMatchObject({
      code: 'session_conflict',
    })
    // A handle without a user may not write into a user's session either (it used to).
    await expect(session({ sessionId: id }).addItems([item('anonymous')])).rejects.toMatchObject({ code: 'session_conflict' })
    expect(texts(await session({ sessionId: id, userId: 'alice' }).getItems())).toEqual(['alice says hi'])
  })

  // Citus cannot keep session ids unique across users (a key without the tenant column): there a
  // session id is unique per user, so another user's write makes a session of their own.
  it.runIf(backend === 'citus')("keeps another user's write to the same session id in a session of their own", async () => {
    const id = uniqueId('s')
    await session({ sessionId: id, userId: 'alice' }).addItems([item('alice says hi')])
    await session({ sessionId: id, userId: 'mallory' }).addItems([item('mallory writes')])
    await session({ sessionId: id }).addItems([item('anonymous')])
    expect(texts(await session({ sessionId: id, userId: 'alice' }).getItems())).toEqual(['alice says hi'])
    expect(texts(await session({ sessionId: id, userId: 'mallory' }).getItems())).toEqual(['mallory writes'])
    expect(texts(await session({ sessionId: id }).getItems())).toEqual(['anonymous'])
    // The namespace is still part of the owner: the same user in another namespace is refused.
    await expect(session({ sessionId: id, userId: 'alice', namespace: 'other' }).addItems([item('x')])).rejects.toMatchObject({
      code: 'session_conflict',
    })
  })

  it('loses nothing when many clients append to one new session at once, and batches stay contiguous', async () => {
    const id = uniqueId('s')
    const writers = 16
    const perBatch = 5
    await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        session({ sessionId: id, userId: 'concurrent' }).addItems(
          Array.from({ length: perBatch }, (_, i) => item(`${w}:${i}`)),
        ),
      ),
    )
    const all = texts(await session({ sessionId: id, userId: 'concurrent' }).getItems())
    expect(all).toHaveLength(writers * perBatch)
    for (let start = 0; start < all.length; start += perBatch) {
      const batch = all.slice(start, start + perBatch)
      const writer = batch[0]!.split(':')[0]
      expect(batch).toEqual(Array.from({ length: perBatch }, (_, i) => `${writer}:${i}`))
    }
  })

  it('readers only ever see a prefix of the final history while writers append concurrently', async () => {
    const id = uniqueId('s')
    const reader = session({ sessionId: id })
    let writing = true
    const snapshots: string[][] = []
    const reading = (async () => {
      while (writing) snapshots.push(texts(await reader.getItems()))
    })()
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const writer = session({ sessionId: id })
        for (let i = 0; i < 6; i++) await writer.addItems([item(`${w}:${i}:a`), item(`${w}:${i}:b`)])
      }),
    )
    writing = false
    await reading
    const final = texts(await reader.getItems())
    expect(final).toHaveLength(8 * 6 * 2)
    expect(snapshots.length).toBeGreaterThan(0)
    for (const seen of snapshots) expect(seen).toEqual(final.slice(0, seen.length))
  })
})
