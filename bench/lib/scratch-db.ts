import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { sleep } from './stats.js'

/** A database created for one bench run and dropped at its end. */
export interface ScratchDb {
  name: string
  url: string
  drop(): Promise<void>
}

/** Creates `factline_bench_<random>` beside `adminUrl` (which needs CREATEDB). */
export async function createScratchDb(adminUrl: string): Promise<ScratchDb> {
  const name = `factline_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        // Closed pools finish disconnecting asynchronously; retry before forcing the last ones out.
        for (let attempt = 0; ; attempt++) {
          try {
            await client.query(`drop database if exists ${name}${attempt >= 20 ? ' with (force)' : ''}`)
            return
          } catch (error) {
            if (attempt >= 40) throw error
            await sleep(100)
          }
        }
      } finally {
        await client.end()
      }
    },
  }
}

/** Counts every statement sent on a pool's connections; kysely and `pool.query` both end in `client.query`. */
export interface QueryCounter {
  readonly statements: string[]
  /** Time from sending each statement to its result, in ms, parallel to `statements`. */
  readonly durations: number[]
  reset(): void
}

/** Makes `pool` report every statement to the returned counter (each is one round trip). */
export function countQueries(pool: pg.Pool): QueryCounter {
  const statements: string[] = []
  const durations: number[] = []
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    const counted = (...args: unknown[]) => {
      const first = args[0]
      const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text ?? String(first)
      const index = statements.push(text.replace(/\s+/g, ' ').trim()) - 1
      const started = performance.now()
      durations[index] = Number.NaN
      const result = query(...args)
      if (result instanceof Promise) {
        void result.then(
          () => (durations[index] = performance.now() - started),
          () => {},
        )
      }
      return result
    }
    client.query = counted as typeof client.query
  })
  return {
    statements,
    durations,
    reset() {
      statements.length = 0
      durations.length = 0
    },
  }
}

/**
 * Timeouts for the benches' own handles: loading a fixture (100,000 random vectors in a statement,
 * an HNSW build) legitimately runs past factline's default 60 s `statement_timeout`; 0 leaves the
 * server's setting (none) in force. The timed calls are unaffected either way.
 */
export const BENCH_TIMEOUTS = { statementMs: 0 } as const
