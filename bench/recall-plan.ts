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
 * Vectors are generated inside PostgreSQL (`insert … select … from generate_series`, one
 * `random()` per component, uniform in [-1, 1]) because embedding a million texts in Node would
 * dominate the run. Uniform random vectors are the hard case for HNSW (no cluster structure), so
 * the iterative-scan numbers are if anything pessimistic; the filter-loss effect measured here
 * depends only on how small a user's share of the table is. Ground truth is computed in Node from
 * the user's own vectors, independently of every plan.
 */
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { sql, type Kysely } from 'kysely'
import pg from 'pg'
import { createDb } from '../src/db/create-db.js'
import { migrate } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'
import { cosineDistance, parseVectorLiteral, setIterativeScan, vectorText } from '../src/db/vector.js'
import { nearestScopedFacts } from '../src/recall/nearest-facts.js'

const DIMENSIONS = 384
const NAMESPACE = 'default'

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

interface Plan {
  name: string
  run(db: Kysely<Database>, userId: string, query: number[]): Promise<string[]>
}

/** The plain query; the planner picks btree+sort or HNSW from its statistics. */
const plannerChoice: Plan = {
  name: 'plain query, planner decides',
  run: (db, userId, query) => plainQuery(db, userId, query, false),
}

/** The HNSW index with the user filter applied to what it returns (the btree is made unusable). */
function hnswPlan(name: string, mode: 'off' | 'strict_order' | 'relaxed_order'): Plan {
  return {
    name,
    run: (db, userId, query) =>
      db.transaction().execute(async (trx) => {
        await setIterativeScan(trx, mode)
        return plainQuery(trx, userId, query, true)
      }),
  }
}

const exactPerUser: Plan = {
  name: 'exact per-user scan (materialized CTE) ← factline',
  run: async (db, userId, query) =>
    (await nearestScopedFacts(db, { userId, namespace: NAMESPACE }, query, k, { statuses: ['active'] })).map((r) => r.id),
}

async function plainQuery(db: Kysely<Database>, userId: string, query: number[], forceHnsw: boolean) {
  // `user_id || ''` hides the column from the btree, leaving the planner the HNSW index or a seq scan.
  const userColumn = forceHnsw ? sql<string>`(facts.user_id || '')` : sql<string>`facts.user_id`
  const rows = await db
    .selectFrom('facts')
    .select('facts.id')
    .where(userColumn, '=', userId)
    .where('facts.namespace', '=', NAMESPACE)
    .where('facts.status', '=', 'active')
    .orderBy(cosineDistance('facts.embedding', query))
    .limit(k)
    .execute()
  return rows.map((r) => r.id)
}

async function main() {
  const admin = new pg.Client({ connectionString: args.url })
  await admin.connect()
  const dbName = `factline_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  await admin.query(`create database ${dbName}`)
  const url = new URL(args.url)
  url.pathname = `/${dbName}`
  const handle = await createDb({ url: url.toString(), poolSize: 2 })
  try {
    await migrate(handle, { embeddingDimensions: DIMENSIONS })
    const { db } = handle
    const t0 = performance.now()
    await sql`drop index facts_embedding_idx`.execute(db)
    const batch = 20_000
    for (let start = 0; start < factCount; start += batch) {
      const end = Math.min(factCount, start + batch) - 1
      // The `g > 0 or g <= 0` reference makes the vector subquery run once per row instead of once.
      await sql`
        insert into facts (user_id, namespace, content, embedding)
        select 'user-' || (g % ${userCount}), ${NAMESPACE}, 'benchmark fact number ' || g,
               (select array_agg(random() * 2 - 1)::vector from generate_series(1, ${DIMENSIONS}) where g > 0 or g <= 0)
        from generate_series(${start}::int, ${end}::int) g`.execute(db)
    }
    const loadSeconds = (performance.now() - t0) / 1000
    const t1 = performance.now()
    await db.connection().execute(async (conn) => {
      await sql`set maintenance_work_mem = '3GB'`.execute(conn)
      await sql`set max_parallel_maintenance_workers = 2`.execute(conn)
      await sql`create index facts_embedding_idx on facts using hnsw (embedding vector_cosine_ops)`.execute(conn)
    })
    const indexSeconds = (performance.now() - t1) / 1000
    await sql`analyze facts`.execute(db)

    const plans = [
      plannerChoice,
      hnswPlan('HNSW + user filter (ef_search 40)', 'off'),
      hnswPlan('HNSW iterative scan, strict_order (max_scan_tuples 20000)', 'strict_order'),
      hnswPlan('HNSW iterative scan, relaxed_order (max_scan_tuples 20000)', 'relaxed_order'),
      exactPerUser,
    ]
    const users = Array.from({ length: queryCount }, () => `user-${Math.floor(Math.random() * userCount)}`)
    const queries = users.map(() => randomVector())
    const truth = await Promise.all(users.map(async (u, i) => groundTruth(db, u, queries[i] as number[])))

    const rows: string[] = []
    for (const plan of plans) {
      for (let i = 0; i < Math.min(5, users.length); i++) await plan.run(db, users[i] as string, queries[i] as number[])
      const latencies: number[] = []
      let returned = 0
      let hits = 0
      for (let i = 0; i < users.length; i++) {
        const start = performance.now()
        const ids = await plan.run(db, users[i] as string, queries[i] as number[])
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
    if (args.keep) console.log(`kept ${dbName}`)
    else await admin.query(`drop database if exists ${dbName} with (force)`)
    await admin.end()
  }
}

async function groundTruth(db: Kysely<Database>, userId: string, query: number[]): Promise<string[]> {
  const rows = await db
    .selectFrom('facts')
    .select(['facts.id', vectorText('facts.embedding').as('embedding')])
    .where('facts.user_id', '=', userId)
    .where('facts.namespace', '=', NAMESPACE)
    .where('facts.status', '=', 'active')
    .execute()
  return rows
    .map((r) => ({ id: r.id, distance: 1 - cosine(parseVectorLiteral(r.embedding ?? '[]'), query) }))
    .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
    .slice(0, k)
    .map((r) => r.id)
}

function cosine(a: number[], b: number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    dot += x * y
    na += x * x
    nb += y * y
  }
  return dot / Math.sqrt(na * nb)
}

function randomVector(): number[] {
  return Array.from({ length: DIMENSIONS }, () => Math.random() * 2 - 1)
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
}

await main()
