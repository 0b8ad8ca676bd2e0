import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { migrate } from '../src/db/migrate.js'
import { createDb } from '../src/db/create-db.js'
import { createMemory, type Memory } from '../src/index.js'
import { historyItems, RUN_INPUT, scriptedAgent } from './lib/agent-fixture.js'
import type { BenchContext } from './lib/context.js'
import { countQueries, type QueryCounter } from './lib/scratch-db.js'
import { ms, percentile, table } from './lib/stats.js'

interface Arm {
  name: string
  memory: Memory
  pool: pg.Pool
  counter: QueryCounter
}

/**
 * What `database.rowLevelSecurity` costs, measured in the same run against the same database:
 * the table owner with the option off (policies bypassed, factline sends what it always sent)
 * against a DML-only role the policies filter, with the option on (each user-scoped call in a
 * transaction that sets `factline.user_id` first). Statements counted per call (each is a round
 * trip), and median latency of each call over `ops` serial calls.
 */
export async function benchRowLevelSecurity(ctx: BenchContext, options: { ops: number }): Promise<string> {
  const admin = new pg.Client({ connectionString: ctx.url })
  await admin.connect()
  const role = `factline_bench_rls_${randomBytes(6).toString('hex')}`
  const password = randomBytes(16).toString('hex')
  const arms: Arm[] = []
  try {
    await admin.query(`create role ${role} login password '${password}'`)
    await admin.query(`grant select, insert, update, delete on all tables in schema public to ${role}`)
    await admin.query(`grant usage on all sequences in schema public to ${role}`)
    const owner = await createDb({ url: ctx.url, poolSize: 1 })
    await migrate(owner, { embeddingDimensions: 384, rowLevelSecurity: true })
    await owner.close()
    const appUrl = new URL(ctx.url)
    appUrl.username = role
    appUrl.password = password

    for (const [name, url, rowLevelSecurity] of [
      ['off (table owner)', ctx.url, false],
      ['on, owner (round trips only)', ctx.url, true],
      ['on (filtered app role)', appUrl.toString(), true],
    ] as const) {
      const pool = new pg.Pool({ connectionString: url, max: 4 })
      const counter = countQueries(pool)
      const memory = await createMemory({ database: { pool, rowLevelSecurity }, createTables: false, queue: false, env: false })
      arms.push({ name, memory, pool, counter })
    }

    const calls: Array<[string, (arm: Arm, user: string, session: string) => Promise<unknown>]> = [
      ['session.getItems() (100 items)', (a, u, s) => a.memory.session(s, { userId: u }).getItems()],
      ['session.addItems(2 items)', (a, u, s) => a.memory.session(s, { userId: u }).addItems(historyItems(2))],
      ['memory.recall()', (a, u) => a.memory.recall({ userId: u, query: RUN_INPUT })],
      ['memory.search()', (a, u) => a.memory.search({ userId: u, query: RUN_INPUT })],
      [
        'memory.run() turn',
        (a, u, s) => a.memory.run(scriptedAgent().agent, RUN_INPUT, { session: a.memory.session(s, { userId: u }) }),
      ],
    ]
    const rows: string[][] = []
    const results = new Map<string, { statements: number; median: number }>()
    const users = new Map<Arm, string>()
    for (const arm of arms) {
      const user = `rls-bench-${randomBytes(4).toString('hex')}`
      users.set(arm, user)
      await arm.memory.session(`${user}-chat`, { userId: user }).addItems(historyItems(100))
      await arm.memory.flush()
    }
    for (const [label, call] of calls) {
      ctx.log(`row-level security: ${label}`)
      // getItems, recall and search read a fixed 100-item session; writes go to a throwaway one.
      const reads = label.startsWith('session.getItems') || label.startsWith('memory.recall') || label.startsWith('memory.search')
      const go = (arm: Arm) => call(arm, users.get(arm)!, `${users.get(arm)!}-chat${reads ? '' : '-w'}`)
      const samples = new Map<Arm, number[]>(arms.map((arm) => [arm, []]))
      const statements = new Map<Arm, number>()
      for (const arm of arms) {
        // Inline extraction follows every write: it is flushed outside the counted and timed window,
        // so the figures are the call's own.
        await go(arm) // warm
        await arm.memory.flush()
        arm.counter.reset()
        await go(arm)
        statements.set(arm, arm.counter.statements.length)
        await arm.memory.flush()
      }
      const count = label === 'memory.run() turn' ? Math.max(10, Math.floor(options.ops / 5)) : options.ops
      // Arms take turns, call by call, so drift in a shared machine's load falls on all of them alike.
      for (let i = 0; i < count; i++) {
        for (const arm of arms) {
          const started = performance.now()
          await go(arm)
          samples.get(arm)!.push(performance.now() - started)
          await arm.memory.flush()
        }
      }
      for (const arm of arms) results.set(`${arm.name}|${label}`, { statements: statements.get(arm)!, median: percentile(samples.get(arm)!, 50) })
    }
    for (const [label] of calls) {
      const [off, owner, on] = arms.map((arm) => results.get(`${arm.name}|${label}`)!)
      rows.push([label, String(off!.statements), String(on!.statements), ms(off!.median), ms(owner!.median), ms(on!.median)])
    }
    return (
      `Row-level security off (the table owner, as before) against on (a DML-only role the policies filter, factline ` +
      `setting \`factline.user_id\` per transaction), and on as the owner (the extra round trips without the policies, ` +
      `which the owner bypasses); same database, same run; statements per call counted on the pg ` +
      `client (each a round trip), medians of ${options.ops} serial calls (memory.run: a fifth of that), arms taking turns call by call, inline extraction flushed between calls, outside the timing.\n\n` +
      table(['call', 'statements off', 'statements on', 'median off', 'median on, owner', 'median on, app role'], rows)
    )
  } finally {
    for (const arm of arms) {
      await arm.memory.close()
      await arm.pool.end()
    }
    await admin.query(`drop owned by ${role}`).catch(() => {})
    await admin.query(`drop role if exists ${role}`).catch(() => {})
    await admin.end()
  }
}
