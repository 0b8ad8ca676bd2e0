import { randomUUID } from 'node:crypto'
import { MemorySession, run, type AgentInputItem, type Session } from '@openai/agents'
import pg from 'pg'
import { createDb, type FactlineDb } from '../src/db/create-db.js'
import { PostgresSession } from '../src/session/postgres-session.js'
import { RUN_INPUT, scriptedAgent } from './lib/agent-fixture.js'
import type { BenchContext } from './lib/context.js'
import { ms, percentile, rate, ratio, table, timeConcurrent, timeSerial, type Summary } from './lib/stats.js'

export interface SessionBenchOptions {
  concurrency: number[]
  /** Timed operations per cell, split across the concurrent sessions. */
  ops: number
  /** Items already in a session before getItems is timed. */
  history: number
  /** Items in the big session of the 1k-vs-big comparison. */
  bigSession: number
  poolSize: number
}

const userItem = (n: number): AgentInputItem => ({
  role: 'user',
  content: `Message ${n}: could you look at the deploy logs from last night and tell me why the job failed?`,
})
const assistantItem = (n: number): AgentInputItem => ({
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text: `Reply ${n}: the job failed because the migration timed out after 30 seconds.` }],
})
const turnItems = (n: number, count: number) => Array.from({ length: count }, (_, i) => (i % 2 ? assistantItem(n + i) : userItem(n + i)))

interface Workload {
  name: string
  /** Which database floor this operation is compared with. */
  floor: 'select' | 'insert'
  /** Items a session holds before the clock starts. */
  prefill(opsPerSession: number, history: number): number
  op(session: Session, i: number): Promise<unknown>
}

const workloads: Workload[] = [
  { name: 'addItems (1 item)', floor: 'insert', prefill: () => 0, op: (s, i) => s.addItems([userItem(i)]) },
  { name: 'addItems (10 items)', floor: 'insert', prefill: () => 0, op: (s, i) => s.addItems(turnItems(i, 10)) },
  { name: 'getItems(50)', floor: 'select', prefill: (_, h) => h, op: (s) => s.getItems(50) },
  { name: 'getItems() (all)', floor: 'select', prefill: (_, h) => h, op: (s) => s.getItems() },
  { name: 'popItem', floor: 'insert', prefill: (n) => n, op: (s) => s.popItem() },
]

/**
 * Session operations at 1, 8 and 32 concurrent sessions against the SDK's MemorySession on the
 * same workload and two database floors on the same pool: `SELECT 1` (one round trip, no work)
 * and a one-row autocommit insert into a table shaped like agent_messages (one write transaction).
 */
export async function benchSession(ctx: BenchContext, o: SessionBenchOptions): Promise<string> {
  const pool = new pg.Pool({ connectionString: ctx.url, max: o.poolSize })
  const handle = await createDb({ pool })
  const out: string[] = []
  try {
    await pool.query(`create table if not exists bench_floor (
      id bigserial primary key, session_id text not null, message_data json not null, created_at timestamptz not null default now())`)
    await pool.query('create index if not exists bench_floor_session_id on bench_floor (session_id, id)')
    const floorItem = JSON.stringify(userItem(0))
    const floors = {
      select: () => pool.query('select 1'),
      insert: (sessionId: string) => pool.query('insert into bench_floor (session_id, message_data) values ($1, $2::json)', [sessionId, floorItem]),
    }
    // Warm the pool and the plan caches so the first cell does not pay for connecting.
    await timeConcurrent(o.poolSize, 20, async () => floors.select)
    await timeConcurrent(2, 20, async (w) => {
      const s = await postgresSession(handle, pool, 50)
      return () => (w ? s.getItems(50) : s.addItems([userItem(0)]))
    })

    out.push(
      `Pool of ${o.poolSize} connections; ${o.ops.toLocaleString('en')} timed operations per cell, split across the sessions; ` +
        `getItems runs on sessions holding ${o.history} items. Latencies in ms. "÷ floor" is the p50 over the ` +
        'p50 of the database floor named on the row, measured in the same cell.',
    )
    for (const c of o.concurrency) {
      const perSession = Math.max(1, Math.ceil(o.ops / c))
      ctx.log(`session: ${c} concurrent sessions`)
      const selectFloor = await timeConcurrent(c, perSession, async () => floors.select)
      const insertFloor = await timeConcurrent(c, perSession, async () => {
        const id = randomUUID()
        return () => floors.insert(id)
      })
      const rows: string[][] = [
        floorRow('floor: `SELECT 1`', selectFloor),
        floorRow('floor: one-row insert', insertFloor),
      ]
      for (const w of workloads) {
        const prefill = w.prefill(perSession, o.history)
        const pgStats = await timeConcurrent(c, perSession, async () => {
          const s = await postgresSession(handle, pool, prefill)
          let i = 0
          return () => w.op(s, i++)
        })
        const memStats = await timeConcurrent(c, perSession, async () => {
          const s = new MemorySession({ initialItems: turnItems(0, prefill) })
          let i = 0
          return () => w.op(s, i++)
        })
        const floor = w.floor === 'select' ? selectFloor : insertFloor
        rows.push([
          w.name,
          rate(pgStats.opsPerSec),
          ms(pgStats.p50),
          ms(pgStats.p95),
          ms(pgStats.p99),
          `${ratio(pgStats.p50 / floor.p50)} ${w.floor === 'select' ? '`SELECT 1`' : 'insert'}`,
          rate(memStats.opsPerSec),
          ms(memStats.p50),
        ])
      }
      out.push(
        `\n**${c} concurrent session${c === 1 ? '' : 's'}**\n\n` +
          table(['operation', 'PostgresSession ops/s', 'p50', 'p95', 'p99', '÷ floor (p50)', 'MemorySession ops/s', 'MemorySession p50'], rows),
      )
    }

    ctx.log(`session: getItems(50) on 1,000 vs ${o.bigSession.toLocaleString('en')} items`)
    const small = await postgresSession(handle, pool, 1_000)
    const big = await postgresSession(handle, pool, o.bigSession)
    await pool.query('analyze agent_messages')
    const count = Math.max(200, Math.floor(o.ops / 2))
    const smallMs: number[] = []
    const bigMs: number[] = []
    const selectMs: number[] = []
    // Interleaved, so drift on the shared machine hits both sessions alike.
    for (let i = 0; i < count; i++) {
      smallMs.push(...(await timeSerial(1, () => small.getItems(50))))
      bigMs.push(...(await timeSerial(1, () => big.getItems(50))))
      selectMs.push(...(await timeSerial(1, () => floors.select())))
    }
    const planOf = async (session: PostgresSession) => {
      // The shape of factline's read: the session's tenant and id, newest first.
      const plan = await pool.query(
        `explain (analyze, buffers, costs off, timing off, summary off)
         select id, message_data::text from agent_messages where user_id = $2 and session_id = $1 order by id desc limit 50`,
        [await session.getSessionId(), session.userId],
      )
      return plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']!.trim()).join(' → ')
    }
    const row = (label: string, samples: number[]) => [
      label,
      ms(percentile(samples, 50)),
      ms(percentile(samples, 95)),
      ms(percentile(samples, 99)),
      ratio(percentile(samples, 50) / percentile(selectMs, 50)),
    ]
    out.push(
      `\n**getItems(50) on a 1,000-item vs a ${o.bigSession.toLocaleString('en')}-item session** ` +
        `(${count} calls each, interleaved, one at a time)\n\n` +
        table(['session', 'p50', 'p95', 'p99', 'p50 ÷ `SELECT 1`'], [
          row('1,000 items', smallMs),
          row(`${o.bigSession.toLocaleString('en')} items`, bigMs),
          row('floor: `SELECT 1`', selectMs),
        ]) +
        `\n\nbig/small p50: **${ratio(percentile(bigMs, 50) / percentile(smallMs, 50))}**. The 1,000-item session was written ` +
        'first, so its newest items lie under every row of the big one in id order. Plans (`EXPLAIN (ANALYZE, BUFFERS)` of the ' +
        `getItems(50) query):\n\n- 1,000 items: \`${await planOf(small)}\`\n- ${o.bigSession.toLocaleString('en')} items: \`${await planOf(big)}\``,
    )

    const runnerSizes = ctx.quick ? [1_000, 10_000] : [1_000, 10_000, o.bigSession]
    ctx.log(`session: runner turns on ${runnerSizes.map((n) => n.toLocaleString('en')).join(' / ')} items`)
    const turns = 3
    const cases: Array<[string, () => Promise<Session>]> = runnerSizes.flatMap((n): Array<[string, () => Promise<Session>]> => [
      [`PostgresSession, ${n.toLocaleString('en')} items`, () => postgresSession(handle, pool, n)],
      [`PostgresSession historyLimit ${HISTORY_LIMIT}, ${n.toLocaleString('en')} items`, () => postgresSession(handle, pool, n, HISTORY_LIMIT)],
      [`MemorySession, ${n.toLocaleString('en')} items`, async () => new MemorySession({ initialItems: turnItems(0, n) })],
    ])
    // One untimed turn first, so JIT warm-up is not charged to the smallest session.
    await run(scriptedAgent().agent, RUN_INPUT, { session: new MemorySession({ initialItems: turnItems(0, 10) }) })
    const turnRows: string[][] = []
    for (const [label, open] of cases) {
      const session = await open()
      const runMs = await timeSerial(turns, () => run(scriptedAgent().agent, RUN_INPUT, { session }))
      const readMs = await timeSerial(turns, () => session.getItems())
      turnRows.push([label, ms(percentile(runMs, 50)), ms(percentile(runMs, 95)), ms(percentile(readMs, 50))])
    }
    out.push(
      `\n**A runner turn on a long session.** \`run()\` reads the session's whole history every turn (the SDK calls ` +
        '`getItems()` without a limit; `historyWindow` trims only after the read), so a turn\'s cost grows with the ' +
        `session; MemorySession on the same items is the SDK's own floor, and \`historyLimit\` is the opt-in cap on that read. ${turns} turns each, scripted model, one at a time:\n\n` +
        table(['session', '`run()` p50 ms', '`run()` p95 ms', '`getItems()` p50 ms'], turnRows),
    )
  } finally {
    await pool.query('drop table if exists bench_floor').catch(() => {})
    await handle.close()
    await pool.end()
  }
  return out.join('\n')
}

/** The cap the long-session rows use: a generous working history for a chat agent. */
const HISTORY_LIMIT = 200

function floorRow(label: string, s: Summary): string[] {
  return [label, rate(s.opsPerSec), ms(s.p50), ms(s.p95), ms(s.p99), '1×', '', '']
}

/** A session already holding `items` items, loaded with one INSERT … SELECT so setup stays fast. */
async function postgresSession(handle: FactlineDb, pool: pg.Pool, items: number, historyLimit?: number): Promise<PostgresSession> {
  const sessionId = `bench-${randomUUID()}`
  const userId = `bench-user-${randomUUID()}`
  const session = new PostgresSession({ sessionId, userId, db: handle, ...(historyLimit ? { historyLimit } : {}) })
  await pool.query(`insert into agent_sessions (session_id, user_id, namespace) values ($1, $2, 'default')`, [sessionId, userId])
  if (items > 0) {
    await pool.query(
      `insert into agent_messages (user_id, session_id, message_data)
       select $5, $1, case when g % 2 = 0
         then json_build_object('role', 'user', 'content', $3 || g)
         else json_build_object('type', 'message', 'role', 'assistant', 'status', 'completed',
           'content', json_build_array(json_build_object('type', 'output_text', 'text', $4 || g))) end
       from generate_series(1, $2::int) g`,
      [sessionId, items, (userItem(0) as { content: string }).content, 'Reply: the job failed because the migration timed out. ', userId],
    )
    // Statistics, as autovacuum takes them after a bulk insert: without them the planner guesses a
    // few rows per session and sorts the whole session (52 ms at 100,000 items instead of 0.3 ms).
    await pool.query('analyze agent_messages')
  }
  return session
}
