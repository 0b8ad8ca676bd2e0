/**
 * Which query plan keeps per-user vector recall exact when one table holds everybody's facts?
 *
 *   npx tsx bench/recall-plan.ts --facts 1000000 --users 10000   (defaults: 100000 facts, 1000 users)
 *
 * Creates a scratch database `factline_bench_<random>` next to DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test), migrates it with 384-dim embeddings, loads N facts
 * spread evenly over U users, builds the HNSW index after loading, runs the same random queries
 * through each plan, prints a markdown table and drops the database.
 *
 * Vectors are random and generated inside PostgreSQL (see `loadRandomFacts` in
 * bench/lib/recall-fixture.ts for why), and the plans are the ones `npm run bench` measures.
 * Ground truth is computed in Node from the user's own vectors, independently of every plan.
 */
import { parseArgs } from 'node:util'
import { createDb } from '../src/db/create-db.js'
import { migrate } from '../src/db/migrate.js'
import { BENCH_TIMEOUTS, createScratchDb } from './lib/scratch-db.js'
import { exactPerUser, groundTruth, hnswPlan, loadRandomFacts, plannerChoice, randomVector } from './lib/recall-fixture.js'

const DIMENSIONS = 384

const { values: args } = parseArgs({
  options: {
    facts: { type: 'string', default: '100000' },
    users: { type: 'string', default: '1000' },
    queries: { type: 'string', default: '100' },
    k: { type: 'string', default: '10' },
    url: { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    keep: { type: 'boolean', default: false },
  },
})
const factCount = Number(args.facts)
const userCount = Number(args.users)
const queryCount = Number(args.queries)
const k = Number(args.k)

async function main() {
  const scratch = await createScratchDb(args.url)
  const handle = await createDb({ url: scratch.url, poolSize: 2, timeouts: BENCH_TIMEOUTS })
  try {
    await migrate(handle, { embeddingDimensions: DIMENSIONS })
    const { db } = handle
    const { loadSeconds, indexSeconds } = await loadRandomFacts(db, factCount, userCount, DIMENSIONS, '3GB')

    const plans = [
      plannerChoice,
      hnswPlan('HNSW + user filter (ef_search 40)', 'off'),
      hnswPlan('HNSW iterative scan, strict_order (max_scan_tuples 20000)', 'strict_order'),
      hnswPlan('HNSW iterative scan, relaxed_order (max_scan_tuples 20000)', 'relaxed_order'),
      exactPerUser,
    ]
    const users = Array.from({ length: queryCount }, () => `user-${Math.floor(Math.random() * userCount)}`)
    const queries = users.map(() => randomVector(DIMENSIONS))
    const truth = await Promise.all(users.map(async (u, i) => groundTruth(db, u, queries[i] as number[], k)))

    const rows: string[] = []
    for (const plan of plans) {
      for (let i = 0; i < Math.min(5, users.length); i++) await plan.run(db, users[i] as string, queries[i] as number[], k)
      const latencies: number[] = []
      let returned = 0
      let hits = 0
      for (let i = 0; i < users.length; i++) {
        const start = performance.now()
        const ids = await plan.run(db, users[i] as string, queries[i] as number[], k)
        latencies.push(performance.now() - start)
        returned += ids.length
        const expected = new Set(truth[i])
        hits += ids.filter((id) => expected.has(id)).length
      }
      latencies.sort((a, b) => a - b)
      const expectedTotal = truth.reduce((n, t) => n + t.length, 0)
      rows.push(
        `| ${plan.name} | ${(returned / users.length).toFixed(1)} / ${k} | ${(hits / expectedTotal).toFixed(3)} | ` +
          `${percentile(latencies, 0.5).toFixed(2)} | ${percentile(latencies, 0.95).toFixed(2)} |`,
      )
    }

    console.log(
      `\n${factCount.toLocaleString('en')} facts, ${userCount.toLocaleString('en')} users ` +
        `(~${Math.round(factCount / userCount)} facts each), ${DIMENSIONS}-dim, k=${k}, ${queryCount} queries; ` +
        `load ${loadSeconds.toFixed(0)} s, HNSW build ${indexSeconds.toFixed(0)} s (m=16, ef_construction=64)\n`,
    )
    console.log('| plan | rows returned (mean) | recall@k vs exact | p50 ms | p95 ms |')
    console.log('| --- | --- | --- | --- | --- |')
    for (const row of rows) console.log(row)
  } finally {
    await handle.close()
    if (args.keep) console.log(`kept ${scratch.name}`)
    else await scratch.drop()
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
}

await main()
