/**
 * Connections held by many live sessions opened from one URL: the shared pool (today) against a
 * pool per session (the old behaviour, emulated by giving each session its own URL), measured in
 * the same run. PostgreSQL refuses clients past `max_connections` (100 by default).
 *
 *   npm run bench -- --only pools [--pool-sessions 1,100,1000] [--pool 10]
 */
import pg from 'pg'
import { PostgresSession } from '../src/session/postgres-session.js'
import type { BenchContext } from './lib/context.js'
import { ms, percentile, table } from './lib/stats.js'

export interface PoolsOptions {
  /** Live session counts to measure. */
  sessions: number[]
  poolSize: number
}

export async function benchPools(ctx: BenchContext, options: PoolsOptions): Promise<string> {
  const admin = new pg.Client({ connectionString: ctx.url })
  await admin.connect()
  const poolSize = options.poolSize
  const scratchUrl = ctx.url
  const measure = async (count: number, mode: 'shared' | 'per-session') => {
    const tag = `bench-${mode}-${count}-${Date.now()}`
    const urlFor = (i: number) => {
      const u = new URL(scratchUrl)
      // A distinct application_name makes a distinct URL, hence (old behaviour) a distinct pool.
      u.searchParams.set('application_name', mode === 'shared' ? tag : `${tag}-${i}`.slice(0, 63))
      return u.toString()
    }
    const sessions = Array.from({ length: count }, (_, i) =>
      new PostgresSession({ sessionId: `${tag}-${i}`, userId: 'bench', database: { url: urlFor(i), poolSize } }),
    )
    let peak = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await admin.query<{ n: string }>(
          'select count(*) as n from pg_stat_activity where application_name like $1',
          [`${tag}%`],
        )
        peak = Math.max(peak, Number(rows[0]!.n))
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })()
    const latencies: number[] = []
    let failures = 0
    await Promise.all(
      sessions.map(async (s) => {
        try {
          await s.addItems([{ role: 'user', content: 'hello' }])
          const started = performance.now()
          await s.getItems()
          latencies.push(performance.now() - started)
        } catch {
          failures++
        }
      }),
    )
    sampling = false
    await sampler
    await Promise.all(sessions.map((s) => s.close()))
    return [mode, String(count), String(peak), String(failures), ms(percentile(latencies, 50)), ms(percentile(latencies, 95))]
  }

  try {
    const rows: string[][] = []
    for (const count of options.sessions) {
      ctx.log(`pools: ${count} live sessions, a pool each vs one shared pool`)
      rows.push(await measure(count, 'per-session'))
      rows.push(await measure(count, 'shared'))
    }
    return (
      `Live sessions opened from one URL, each writing then reading once, all at the same time (pool size ${poolSize}). ` +
      'Baseline: a pool per session (the behaviour before pools were shared), emulated by giving each session its own URL. ' +
      'PostgreSQL refuses clients past `max_connections`; failed calls are those refused. ' +
      'Shared-pool latency includes the wait for a free connection.\n\n' +
      table(['pools', 'sessions', 'peak connections', 'failed calls', 'getItems p50', 'getItems p95'], rows)
    )
  } finally {
    await admin.end()
  }
}
