import pg from 'pg'
import { createDb } from '../src/db/create-db.js'
import { distributeTables } from '../src/db/distribute.js'
import { migrate } from '../src/db/migrate.js'
import { createMemory, type Memory } from '../src/index.js'
import { createCitusDatabase } from '../test/helpers/citus-cluster.js'
import { historyItems, RUN_INPUT, scriptedAgent } from './lib/agent-fixture.js'
import type { BenchContext } from './lib/context.js'
import { BENCH_TIMEOUTS, createScratchDb } from './lib/scratch-db.js'
import { ms, percentile, table } from './lib/stats.js'

const DIMENSIONS = 384

interface Target {
  name: string
  url: string
  pool: pg.Pool
  memory: Memory
  drop(): Promise<void>
}

export interface DistributedOptions {
  /** The Citus coordinator; undefined: the section says how to run it and measures nothing. */
  citusUrl: string | undefined
  /** Users loaded, cumulatively: latency is measured after each step. */
  userSteps: number[]
  factsPerUser: number
  messagesPerUser: number
  /** Timed calls per operation, step and target. */
  ops: number
}

/**
 * The same data on one PostgreSQL and on a Citus cluster (coordinator + workers, tables distributed
 * by user, `migrate --distributed`), loaded in steps of users: after each step, the median and p95
 * of per-user recall, a transcript append, and a whole memory turn (`memory.run` with a scripted
 * model: history read, search, append) for random users. Flat rows as users grow mean each
 * statement touched one user's shard, whatever the total.
 */
export async function benchDistributed(ctx: BenchContext, o: DistributedOptions): Promise<string> {
  if (!o.citusUrl) {
    return '_Skipped: set CITUS_URL to a Citus coordinator with workers (e.g. `bash ../shared/tools/citus/cluster.sh start`, then `CITUS_URL=$(bash ../shared/tools/citus/cluster.sh url)`)._'
  }
  const targets: Target[] = []
  try {
    const single = await createScratchDb(ctx.adminUrl)
    targets.push(await openTarget('single node (PostgreSQL 15)', single.url, () => single.drop(), false))
    const citus = await createCitusDatabase(o.citusUrl, 'factline_bench')
    targets.push(await openTarget(`Citus (${await workerCount(citus.url)} workers)`, citus.url, () => citus.drop(), true))

    const rows: string[][] = []
    let loaded = 0
    for (const users of o.userSteps) {
      for (const target of targets) {
        ctx.log(`distributed: loading users ${loaded}..${users - 1} on ${target.name}`)
        await loadUsers(target.pool, loaded, users, o)
      }
      loaded = users
      for (const target of targets) {
        ctx.log(`distributed: timing ${users} users on ${target.name}`)
        const user = (i: number) => `user-${(i * 7919) % users}`
        const recall = await timeSerial(o.ops, (i) => target.memory.recall({ userId: user(i), query: 'fact 3 about the weather' }))
        const append = await timeSerial(o.ops, (i) => target.memory.session(`s-${user(i)}`, { userId: user(i) }).addItems(historyItems(2)))
        const turn = await timeSerial(
          o.ops,
          (i) => target.memory.run(scriptedAgent().agent, RUN_INPUT, { session: target.memory.session(`s-${user(i)}`, { userId: user(i) }) }),
          () => target.memory.flush(),
        )
        rows.push([
          String(users),
          target.name,
          String(users * o.factsPerUser),
          `${ms(percentile(recall, 50))} / ${ms(percentile(recall, 95))}`,
          `${ms(percentile(append, 50))} / ${ms(percentile(append, 95))}`,
          `${ms(percentile(turn, 50))} / ${ms(percentile(turn, 95))}`,
        ])
      }
    }
    const footprint = await bytesPerUser(targets[0]!.pool, loaded)
    return (
      `Each step adds users, each with ${o.factsPerUser} facts and a session of ${o.messagesPerUser} messages, ` +
      `to both databases; then ${o.ops} serial calls per operation for random users (p50 / p95). ` +
      'The memory turn is `memory.run` with a scripted model (history read, search, append); its inline extraction is ' +
      'flushed between calls, outside the timing. Citus runs on the same machine as its workers, so every statement pays ' +
      'an extra local hop (coordinator → worker): compare how the rows move as users grow, not the absolute gap.\n\n' +
      table(['users', 'database', 'facts', 'memory.recall', 'session.addItems(2)', 'memory turn'], rows) +
      `\n\nFootprint on the single node after the last step, per user (${o.factsPerUser} facts of ${DIMENSIONS} dimensions, ` +
      `${o.messagesPerUser} + the timed messages, tables and indexes): ${footprint}.`
    )
  } finally {
    for (const target of targets) {
      await target.memory.close().catch(() => {})
      await target.pool.end().catch(() => {})
      await target.drop().catch(() => {})
    }
  }
}

async function openTarget(name: string, url: string, drop: () => Promise<void>, distributed: boolean): Promise<Target> {
  const handle = await createDb({ url, poolSize: 1, timeouts: BENCH_TIMEOUTS })
  try {
    await migrate(handle, { embeddingDimensions: DIMENSIONS })
    if (distributed) await distributeTables(handle)
  } finally {
    await handle.close()
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const memory = await createMemory({ database: { pool }, createTables: false, queue: false, openai: false, env: false })
  return { name, url, pool, memory, drop }
}

async function workerCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from citus_get_active_worker_nodes()')
    return rows[0]!.n
  } finally {
    await client.end()
  }
}

/**
 * Users `from..to-1`, each with facts (random unit-ish vectors, so recall ranks real candidates)
 * and one session of messages: a few statements of INSERT … SELECT, the same on both databases.
 */
async function loadUsers(pool: pg.Pool, from: number, to: number, o: DistributedOptions): Promise<void> {
  const vector = `(select array_agg(random() - 0.5) from generate_series(1, ${DIMENSIONS}) d where u.u + f.f > 0)::vector(${DIMENSIONS})`
  await pool.query(
    `insert into facts (user_id, namespace, content, embedding)
     select 'user-' || u.u, 'default', 'fact ' || f.f || ' about the weather of user ' || u.u, ${vector}
     from generate_series($1::int, $2::int - 1) u(u), generate_series(1, $3::int) f(f)`,
    [from, to, o.factsPerUser],
  )
  await pool.query(
    `insert into agent_sessions (user_id, session_id, namespace)
     select 'user-' || u, 's-user-' || u, 'default' from generate_series($1::int, $2::int - 1) u`,
    [from, to],
  )
  await pool.query(
    `insert into agent_messages (user_id, session_id, message_data)
     select 'user-' || u, 's-user-' || u, json_build_object('role', 'user', 'content', 'message ' || m || ' of user ' || u)
     from generate_series($1::int, $2::int - 1) u, generate_series(1, $3::int) m`,
    [from, to, o.messagesPerUser],
  )
  // Every session counts as extracted up to now, so a timed turn extracts only its own items.
  await pool.query(
    `update agent_sessions s set extracted_through = coalesce((select max(id) from agent_messages m
       where m.user_id = s.user_id and m.session_id = s.session_id), 0)
     where s.session_id like 's-user-%'`,
  )
  await pool.query('analyze')
}

/** Table and index bytes per user of the per-user tables, as `pg_total_relation_size` counts them. */
async function bytesPerUser(pool: pg.Pool, users: number): Promise<string> {
  const { rows } = await pool.query<{ name: string; bytes: string }>(
    `select c.relname as name, pg_total_relation_size(c.oid)::text as bytes from pg_class c
     where c.relname in ('agent_sessions', 'agent_messages', 'facts', 'fact_sources', 'fact_events', 'transcript_excerpts', 'agent_session_operations')`,
  )
  const total = rows.reduce((sum, r) => sum + Number(r.bytes), 0)
  const parts = rows.sort((a, b) => Number(b.bytes) - Number(a.bytes)).map((r) => `${r.name} ${(Number(r.bytes) / users / 1024).toFixed(1)} KiB`)
  return `${(total / users / 1024).toFixed(1)} KiB (${parts.join(', ')})`
}

/** Serial calls; `between` runs after each call, outside the timing. */
async function timeSerial(count: number, op: (i: number) => Promise<unknown>, between?: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    await op(i)
    samples.push(performance.now() - started)
    if (between) await between()
  }
  return samples
}
