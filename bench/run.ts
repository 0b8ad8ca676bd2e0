/**
 * factline benchmarks: every figure beside a baseline measured in the same run.
 *
 *   npm run bench                      full run (under 10 minutes on 2 cores)
 *   npm run bench -- --quick           short pass (under 2 minutes)
 *   npm run bench -- --only session,roundtrips --ops 5000
 *
 * Needs PostgreSQL with pgvector (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; the
 * role must be able to create databases) and Redis (REDIS_URL, default redis://127.0.0.1:6379).
 * Each run works in scratch databases `factline_bench_<random>` and queues `factline-bench-<uuid>`,
 * and removes them at the end. Tables go to stdout as markdown; progress goes to stderr.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { setTracingDisabled } from '@openai/agents'
import pg from 'pg'
import { createDb } from '../src/db/create-db.js'
import { migrate } from '../src/db/migrate.js'
import type { BenchContext } from './lib/context.js'
import { createScratchDb } from './lib/scratch-db.js'
import { benchDistributed } from './distributed.js'
import { benchEmbedder } from './embedder.js'
import { benchFaults } from './faults.js'
import { benchEpisodic } from './episodic.js'
import { benchPipeline } from './pipeline.js'
import { benchPools } from './pools.js'
import { benchRecall, parseScales } from './recall.js'
import { benchRedos } from './redos.js'
import { benchRoundTrips } from './round-trips.js'
import { benchRowLevelSecurity } from './row-level-security.js'
import { benchRunStart } from './run-start.js'
import { benchSession } from './session.js'

const SECTIONS = ['session', 'recall', 'pipeline', 'runstart', 'roundtrips', 'pools', 'redos', 'embedder', 'episodic', 'faults', 'rls', 'distributed'] as const
type Section = (typeof SECTIONS)[number]

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    url: { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    concurrency: { type: 'string', default: '1,8,32' },
    ops: { type: 'string' },
    history: { type: 'string', default: '100' },
    'big-session': { type: 'string', default: '100000' },
    pool: { type: 'string', default: '10' },
    'recall-scales': { type: 'string' },
    'recall-1m': { type: 'boolean', default: false },
    queries: { type: 'string' },
    workers: { type: 'string', default: '1,2,4' },
    turns: { type: 'string' },
    rate: { type: 'string', default: '20' },
    'steady-turns': { type: 'string' },
    'steady-workers': { type: 'string', default: '2' },
    coalesce: { type: 'string', default: '0,250' },
    runs: { type: 'string' },
    'pool-sessions': { type: 'string' },
    'fault-rounds': { type: 'string' },
    'episodic-scale': { type: 'string' },
    'citus-url': { type: 'string', default: process.env.CITUS_URL },
    'distributed-users': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  process.stdout.write(`npm run bench -- [flags]
  --quick                 short pass with smaller counts (< 2 min)
  --only a,b              sections: ${SECTIONS.join(', ')}
  --url / --redis         servers (default DATABASE_URL / REDIS_URL, then localhost)
  --concurrency 1,8,32    concurrent sessions for the session section
  --ops N                 timed operations per session cell (default 2000; quick 300)
  --history N             items held by sessions whose reads are timed (default 100)
  --big-session N         items in the big session of the getItems(50) comparison (default 100000)
  --pool N                pg pool size (default 10)
  --recall-scales F:U,…   facts:users per recall scale (default 10000:1000,100000:1000,100000:10000; quick 10000:1000)
  --recall-1m             add 1000000:10000 to the recall scales (slow: HNSW build)
  --queries N             recall queries per plan (default 100; quick 30)
  --workers 1,2,4         worker counts for pipeline throughput
  --turns N               turns queued per throughput row (default 300; quick 100)
  --rate N                turns/s offered in the steady-load latency test (default 20)
  --steady-turns N        turns per steady-load row (default 200; quick 40)
  --steady-workers N      workers during the steady-load test (default 2)
  --coalesce 0,250        coalescing delays (ms) for the steady-load rows
  --runs N                runs per arm in the run-start section (default 200; quick 50);
                          timed 1,000-sentence calls per embedder in the embedder section (default 20; quick 5)
  --pool-sessions 1,100   live sessions from one URL in the pools section (default 1,100,1000; quick 1,100)
  --fault-rounds N        rounds of every fault in the faults section (default 1); it runs its own
                          private PostgreSQL and Redis (needs initdb and redis-server)
  --episodic-scale H:T    the heavy user's excerpts : all excerpts (default 100000:1000000; quick 10000:100000)
  --citus-url URL         Citus coordinator for the distributed section (default CITUS_URL; skipped without)
  --distributed-users A,B users loaded per step in the distributed section (default 1000,10000,50000; quick 100,1000)
`)
  process.exit(0)
}

// Runs use a scripted model; the SDK would otherwise try to export traces to OpenAI.
setTracingDisabled(true)
const quick = args.quick
const num = (value: string | undefined, full: number, short: number) => (value === undefined ? (quick ? short : full) : Number(value))
const list = (value: string) => value.split(',').map((v) => Number(v.trim())).filter((v) => Number.isFinite(v) && v > 0)
const only = new Set<Section>(
  (args.only?.split(',').map((s) => s.trim()).filter(Boolean) as Section[] | undefined) ?? SECTIONS,
)
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; choose from ${SECTIONS.join(', ')}`)

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
const started = performance.now()
const scratch = await createScratchDb(args.url)
const out: string[] = []
try {
  const migrated = await createDb({ url: scratch.url, poolSize: 1 })
  await migrate(migrated, { embeddingDimensions: 384 })
  await migrated.close()
  const ctx: BenchContext = { url: scratch.url, adminUrl: args.url, redisUrl: args.redis, quick, log }
  out.push(`# factline benchmark${quick ? ' (--quick)' : ''}\n\n${await machine(scratch.url)}`)

  if (only.has('session')) {
    out.push(
      '## 1. Session\n\n' +
        (await benchSession(ctx, {
          concurrency: list(args.concurrency),
          ops: num(args.ops, 2_000, 300),
          history: Number(args.history),
          bigSession: Number(args['big-session']),
          poolSize: Number(args.pool),
        })),
    )
  }
  if (only.has('recall')) {
    const scales = parseScales(args['recall-scales'] ?? (quick ? '10000:1000' : '10000:1000,100000:1000,100000:10000'))
    if (args['recall-1m']) scales.push({ facts: 1_000_000, users: 10_000 })
    out.push('## 2. Recall\n\n' + (await benchRecall(ctx, { scales, queries: num(args.queries, 100, 30), k: 10 })))
  }
  if (only.has('pipeline')) {
    out.push(
      '## 3. Pipeline\n\n' +
        (await benchPipeline(ctx, {
          workers: list(args.workers),
          turns: num(args.turns, 300, 100),
          rate: Number(args.rate),
          steadyTurns: num(args['steady-turns'], 200, 40),
          steadyWorkers: Number(args['steady-workers']),
          coalesce: args.coalesce.split(',').map((v) => Number(v.trim())),
        })),
    )
  }
  if (only.has('runstart')) {
    out.push('## 4. Run start\n\n' + (await benchRunStart(ctx, { runs: num(args.runs, 200, 50), poolSize: Number(args.pool) })))
  }
  if (only.has('roundtrips')) {
    out.push('## 5. Round trips per turn\n\n' + (await benchRoundTrips(ctx)))
  }
  if (only.has('pools')) {
    const sessions = list(args['pool-sessions'] ?? (quick ? '1,100' : '1,100,1000'))
    out.push('## 6. Connections per URL\n\n' + (await benchPools(ctx, { sessions, poolSize: Number(args.pool) })))
  }
  if (only.has('redos')) {
    out.push('## 7. Bounded work in the offline extractor (ReDoS)\n\n' + benchRedos(quick ? { baselineSizes: [5 * 1024, 10 * 1024] } : {}))
  }
  if (only.has('embedder')) {
    out.push('## 8. Offline embedder\n\n' + (await benchEmbedder(ctx, { sentences: 1_000, rounds: num(args.runs, 20, 5), coldRuns: quick ? 3 : 5 })))
  }
  if (only.has('episodic')) {
    const [heavyChunks, totalChunks] = (args['episodic-scale'] ?? (quick ? '10000:100000' : '100000:1000000')).split(':').map(Number)
    if (!heavyChunks || !totalChunks || heavyChunks > totalChunks) throw new Error('--episodic-scale wants heavy:total, heavy ≤ total')
    out.push(
      '## 9. Episodic index at scale\n\n' +
        (await benchEpisodic(ctx, { heavyChunks, totalChunks, chunksPerOtherUser: 100, queries: num(args.queries, 100, 30), k: 10 })),
    )
  }
  if (only.has('faults')) {
    const faults = quick
      ? { sessions: 5, turns: 6, rounds: 1, redisDownMs: 5_000, postgresDownMs: 10_000 }
      : { sessions: 10, turns: 10, rounds: num(args['fault-rounds'], 1, 1), redisDownMs: 10_000, postgresDownMs: 20_000 }
    out.push('## 10. Faults under load\n\n' + (await benchFaults(ctx, faults)))
  }
  if (only.has('distributed')) {
    out.push(
      '## 12. Distributed (Citus) against one node\n\n' +
        (await benchDistributed(ctx, {
          citusUrl: args['citus-url'],
          userSteps: list(args['distributed-users'] ?? (quick ? '100,1000' : '1000,10000,50000')),
          factsPerUser: 10,
          messagesPerUser: 10,
          ops: num(args.ops, 50, 20),
        })),
    )
  }
  if (only.has('rls')) {
    // Last: it enables the policies on the scratch tables (the owner, which earlier sections use, bypasses them).
    out.push('## 11. Row-level security\n\n' + (await benchRowLevelSecurity(ctx, { ops: num(args.ops, 500, 100) })))
  }
  out.push(`_Total bench time ${((performance.now() - started) / 1000).toFixed(0)} s._`)
  process.stdout.write(out.join('\n\n') + '\n')
} catch (error) {
  if (out.length > 0) process.stdout.write(out.join('\n\n') + '\n')
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
} finally {
  await scratch.drop()
}

async function machine(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ version: string; vector: string; shared_buffers: string; work_mem: string }>(
      `select current_setting('server_version') as version,
              (select extversion from pg_extension where extname = 'vector') as vector,
              current_setting('shared_buffers') as shared_buffers, current_setting('work_mem') as work_mem`,
    )
    const r = rows[0]!
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
    return (
      `Machine: ${os.cpus().length} CPUs (${cpu}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ` +
      `Node ${process.version}, PostgreSQL ${r.version} (shared_buffers ${r.shared_buffers}, work_mem ${r.work_mem}) ` +
      `with pgvector ${r.vector}, Redis on ${new URL(args.redis).host}. Database and Redis on the same host as the bench.`
    )
  } finally {
    await client.end()
  }
}
