import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { cosineDistance, parseVectorLiteral, vectorText } from '../../src/db/vector.js'
import { nearestScopedFacts } from './nearest-scoped-facts.js'
import { cosineSimilarity } from '../../src/facts/reconcile.js'

export const NAMESPACE = 'default'

/** One way of finding a user's k nearest facts. */
export interface Plan {
  name: string
  run(db: Kysely<Database>, userId: string, query: number[], k: number): Promise<string[]>
}

/** The plain query; the planner picks btree+sort or HNSW from its statistics. */
export const plannerChoice: Plan = {
  name: 'plain query, planner decides',
  run: (db, userId, query, k) => plainQuery(db, userId, query, k, false),
}

/**
 * The HNSW index with the user filter applied to what it returns: the btree is made unusable and
 * sequential scans are switched off, so even a small table (where a seq scan would win and be
 * exact) shows what the index plan returns.
 */
export function hnswPlan(name: string, mode: 'off' | 'strict_order' | 'relaxed_order'): Plan {
  return {
    name,
    run: (db, userId, query, k) =>
      db.transaction().execute(async (trx) => {
        await setIterativeScan(trx, mode)
        await forceHnsw(trx)
        return plainQuery(trx, userId, query, k, true)
      }),
  }
}

/** How pgvector 0.8's iterative HNSW scan may continue past `hnsw.ef_search` when a filter drops rows. */
type IterativeScanMode = 'off' | 'strict_order' | 'relaxed_order'

/**
 * Sets `hnsw.iterative_scan` (and optionally `hnsw.max_scan_tuples`) for the rest of the current
 * transaction only (`SET LOCAL`), so a pooled connection never leaks the setting.
 * Call it inside `db.transaction()`.
 */
async function setIterativeScan(
  trx: Kysely<Database>,
  mode: IterativeScanMode,
  maxScanTuples?: number,
): Promise<void> {
  await sql`select set_config('hnsw.iterative_scan', ${mode}, true)`.execute(trx)
  if (maxScanTuples !== undefined) {
    await sql`select set_config('hnsw.max_scan_tuples', ${String(maxScanTuples)}, true)`.execute(trx)
  }
}

async function forceHnsw(trx: Kysely<Database>) {
  await sql`select set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true)`.execute(trx)
}

/** The naive plan's `EXPLAIN` nodes, to show it really walks the HNSW index. */
export async function explainHnswPlan(db: Kysely<Database>, userId: string, query: number[], k: number): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await forceHnsw(trx)
    const compiled = trx
      .selectFrom('facts')
      .select('facts.id')
      .where(sql<string>`(facts.user_id || '')`, '=', userId)
      .where('facts.namespace', '=', NAMESPACE)
      .where('facts.status', '=', 'active')
      .orderBy(cosineDistance('facts.embedding', query))
      .limit(k)
      .compile()
    const result = await sql<{ 'QUERY PLAN': string }>`explain (costs off) ${sql.raw(compiled.sql.replace(/\$(\d+)/g, (_, n: string) => literal(compiled.parameters[Number(n) - 1])))}`.execute(trx)
    return result.rows
      .map((r) => r['QUERY PLAN'].trim())
      .filter((line) => !line.includes('<=>') && !line.startsWith('Filter'))
      .join(' → ')
  })
}

function literal(value: unknown): string {
  return `'${String(value).replaceAll("'", "''")}'`
}

/** What factline's recall runs for its vector candidates. */
export const exactPerUser: Plan = {
  name: 'exact per-user scan (materialized CTE) ← factline',
  run: async (db, userId, query, k) =>
    (await nearestScopedFacts(db, { userId, namespace: NAMESPACE }, query, k, { statuses: ['active'] })).map((r) => r.id),
}

async function plainQuery(db: Kysely<Database>, userId: string, query: number[], k: number, forceHnsw: boolean) {
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

/**
 * Loads `facts` rows spread evenly over `users` users (`user-0` …), then builds the HNSW index.
 *
 * Vectors are generated inside PostgreSQL (`insert … select … from generate_series`, one
 * `random()` per component, uniform in [-1, 1]) because embedding a million texts in Node would
 * dominate the run. Uniform random vectors are the hard case for HNSW (no cluster structure), so
 * the iterative-scan numbers are if anything pessimistic; the filter-loss effect depends only on
 * how small a user's share of the table is.
 */
export async function loadRandomFacts(
  db: Kysely<Database>,
  facts: number,
  users: number,
  dimensions: number,
  maintenanceWorkMem = '2GB',
): Promise<{ loadSeconds: number; indexSeconds: number }> {
  const t0 = performance.now()
  await sql`drop index if exists facts_embedding_idx`.execute(db)
  const batch = 20_000
  for (let start = 0; start < facts; start += batch) {
    const end = Math.min(facts, start + batch) - 1
    // The `g > 0 or g <= 0` reference makes the vector subquery run once per row instead of once.
    await sql`
      insert into facts (user_id, namespace, content, embedding)
      select 'user-' || (g % ${users}), ${NAMESPACE}, 'benchmark fact number ' || g,
             (select array_agg(random() * 2 - 1)::vector from generate_series(1, ${dimensions}) where g > 0 or g <= 0)
      from generate_series(${start}::int, ${end}::int) g`.execute(db)
  }
  const loadSeconds = (performance.now() - t0) / 1000
  const t1 = performance.now()
  await db.connection().execute(async (conn) => {
    await sql`select set_config('maintenance_work_mem', ${maintenanceWorkMem}, false)`.execute(conn)
    await sql`set max_parallel_maintenance_workers = 2`.execute(conn)
    await sql`create index facts_embedding_idx on facts using hnsw (embedding vector_cosine_ops)`.execute(conn)
    await sql`reset maintenance_work_mem`.execute(conn)
    await sql`reset max_parallel_maintenance_workers`.execute(conn)
  })
  const indexSeconds = (performance.now() - t1) / 1000
  await sql`analyze facts`.execute(db)
  return { loadSeconds, indexSeconds }
}

/** The user's exact top k by cosine distance, computed in Node independently of every plan. */
export async function groundTruth(db: Kysely<Database>, userId: string, query: number[], k: number): Promise<string[]> {
  const rows = await db
    .selectFrom('facts')
    .select(['facts.id', vectorText('facts.embedding').as('embedding')])
    .where('facts.user_id', '=', userId)
    .where('facts.namespace', '=', NAMESPACE)
    .where('facts.status', '=', 'active')
    .execute()
  return rows
    .map((r) => ({ id: r.id, distance: 1 - cosineSimilarity(parseVectorLiteral(r.embedding ?? '[]'), query) }))
    .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
    .slice(0, k)
    .map((r) => r.id)
}

export function randomVector(dimensions: number): number[] {
  return Array.from({ length: dimensions }, () => Math.random() * 2 - 1)
}
