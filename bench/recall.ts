import { sql, type Kysely } from 'kysely'
import { createDb } from '../src/db/create-db.js'
import { migrate } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'
import { HashEmbedder } from '../src/embed/hash-embedder.js'
import { recallFacts } from '../src/recall/recall.js'
import type { BenchContext } from './lib/context.js'
import { exactPerUser, explainHnswPlan, groundTruth, hnswPlan, loadRandomFacts, NAMESPACE, plannerChoice, type Plan } from './lib/recall-fixture.js'
import { BENCH_TIMEOUTS, createScratchDb } from './lib/scratch-db.js'
import { bytes, ms, percentile, ratio, table, timeSerial } from './lib/stats.js'

const DIMENSIONS = 384

export interface RecallScale {
  facts: number
  users: number
}

export interface RecallBenchOptions {
  scales: RecallScale[]
  queries: number
  k: number
}

async function timeFactInserts(db: Kysely<Database>, count: number): Promise<number[]> {
  return timeSerial(count, (i) => {
    const vector = `[${Array.from({ length: DIMENSIONS }, () => (Math.random() * 2 - 1).toFixed(6)).join(',')}]`
    return sql`insert into facts (user_id, namespace, content, embedding)
      values ('insert-probe', ${NAMESPACE}, ${`prefers probe value ${i}`}, ${vector}::vector)`.execute(db)
  })
}

/** `10000:1000,100000:1000` → scales. */
export function parseScales(text: string): RecallScale[] {
  return text.split(',').map((part) => {
    const [facts, users] = part.split(':').map(Number)
    if (!facts || !users) throw new Error(`bad recall scale ${JSON.stringify(part)}; expected facts:users`)
    return { facts, users }
  })
}

/**
 * Per-user recall at several table sizes, each in its own scratch database: the full
 * `recallFacts` call, its exact vector plan alone, and the HNSW plans a naive implementation would
 * use, all scored against an exact brute-force top k computed in Node. Queries are real texts
 * embedded by the offline HashEmbedder; the stored facts have random vectors (see
 * `loadRandomFacts`), so no query's words match a fact and recallFacts ranks by vector alone,
 * which is what makes its recall@k comparable with the vector-only plans.
 */
export async function benchRecall(ctx: BenchContext, o: RecallBenchOptions): Promise<string> {
  const embedder = new HashEmbedder({ dimensions: DIMENSIONS })
  const out: string[] = [
    `One user's query, k=${o.k}, ${o.queries} queries per plan (random users), ${DIMENSIONS}-dim offline embedder, ` +
      'cosine distance. recall@k counts how many of the exact top k (brute force in Node over the user\'s rows) a plan returns. ' +
      'HNSW: m=16, ef_construction=64, ef_search=40 (pgvector defaults); iterative scans stop at max_scan_tuples=20000, and ' +
      'relaxed_order returns rows in the order found (a query must re-sort them to get the nearest). Warm cache: every plan ' +
      'runs every query once untimed, then the timed pass sends each query through all plans in rotating order. A user\'s ' +
      'facts are spread over the heap (fact g belongs to user g mod users), the worst case for the per-user scan.',
  ]
  const sizeRows: string[][] = []
  for (const scale of o.scales) {
    ctx.log(`recall: loading ${scale.facts.toLocaleString('en')} facts over ${scale.users.toLocaleString('en')} users`)
    const scratch = await createScratchDb(ctx.adminUrl)
    const handle = await createDb({ url: scratch.url, poolSize: 2, timeouts: BENCH_TIMEOUTS })
    try {
      await migrate(handle, { embeddingDimensions: DIMENSIONS })
      const { db } = handle
      const { loadSeconds, indexSeconds } = await loadRandomFacts(db, scale.facts, scale.users, DIMENSIONS)
      ctx.log(`recall: loaded in ${loadSeconds.toFixed(0)} s, HNSW built in ${indexSeconds.toFixed(0)} s`)

      const users = Array.from({ length: o.queries }, () => `user-${Math.floor(Math.random() * scale.users)}`)
      const texts = users.map((_, i) => `which deployment region and database does the team prefer for project ${i}`)
      const vectors = await embedder.embed(texts)
      const textOf = new Map(vectors.map((v, i) => [v, texts[i]!]))
      const truth = await Promise.all(users.map((u, i) => groundTruth(db, u, vectors[i]!, o.k)))

      const fullRecall: Plan = {
        name: '`recallFacts` (embed + vector + text + fetch + sources) ← factline API',
        run: async (_db, userId, query, k) =>
          (await recallFacts(handle, embedder, { userId, namespace: NAMESPACE, query: textOf.get(query)!, k })).map((f) => f.id),
      }
      const plans: Plan[] = [
        fullRecall,
        exactPerUser,
        plannerChoice,
        hnswPlan('naive: HNSW + user filter', 'off'),
        hnswPlan('HNSW iterative scan, relaxed_order', 'relaxed_order'),
      ]
      const floor: number[] = []
      const rows: string[][] = []
      const p50s: number[] = []
      let exactP50 = Number.NaN
      // An untimed pass first: whichever plan ran first would otherwise pay for reading each user's
      // pages into the cache. Then each query goes through every plan in turn, in rotating order.
      for (let i = 0; i < users.length; i++) for (const plan of plans) await plan.run(db, users[i]!, vectors[i]!, o.k)
      const latencies = plans.map((): number[] => [])
      const returned = plans.map(() => 0)
      const hits = plans.map(() => 0)
      for (let i = 0; i < users.length; i++) {
        const expected = new Set(truth[i])
        for (let step = 0; step < plans.length; step++) {
          const p = (i + step) % plans.length
          const t = performance.now()
          const ids = await plans[p]!.run(db, users[i]!, vectors[i]!, o.k)
          latencies[p]!.push(performance.now() - t)
          returned[p]! += ids.length
          hits[p]! += ids.filter((id) => expected.has(id)).length
        }
        const f = performance.now()
        await sql`select 1`.execute(db)
        floor.push(performance.now() - f)
      }
      const expectedTotal = truth.reduce((n, t) => n + t.length, 0)
      plans.forEach((plan, p) => {
        const p50 = percentile(latencies[p]!, 50)
        if (plan === exactPerUser) exactP50 = p50
        p50s.push(p50)
        rows.push([
          plan.name,
          `${(returned[p]! / users.length).toFixed(1)} / ${o.k}`,
          (hits[p]! / expectedTotal).toFixed(3),
          ms(p50),
          ms(percentile(latencies[p]!, 95)),
          '',
        ])
      })
      rows.forEach((row, i) => (row[5] = ratio(p50s[i]! / exactP50)))
      const embedMs: number[] = []
      for (const text of texts) {
        const t = performance.now()
        await embedder.embed([text])
        embedMs.push(performance.now() - t)
      }
      rows.push(['part of `recallFacts`: embedding the query (HashEmbedder)', '', '', ms(percentile(embedMs, 50)), ms(percentile(embedMs, 95)), ratio(percentile(embedMs, 50) / exactP50)])
      rows.push(['floor: `SELECT 1` (interleaved with every query above)', '', '', ms(percentile(floor, 50)), ms(percentile(floor, 95)), ratio(percentile(floor, 50) / exactP50)])

      const size = await sql<{ total: string; heap: string; hnsw: string; other: string; buffers: string }>`
        select pg_total_relation_size('facts') as total,
               pg_relation_size('facts') + coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as heap,
               pg_relation_size('facts_embedding_idx') as hnsw,
               pg_indexes_size('facts') - pg_relation_size('facts_embedding_idx') as other,
               current_setting('shared_buffers') as buffers
        from pg_class c where c.oid = 'facts'::regclass`.execute(db)
      const s = size.rows[0]!
      const naivePlan = await explainHnswPlan(db, users[0]!, vectors[0]!, o.k)
      // What the HNSW index costs each fact write; recall's exact plan never reads it.
      const insertWith = await timeFactInserts(db, 200)
      await sql`drop index facts_embedding_idx`.execute(db)
      const insertWithout = await timeFactInserts(db, 200)
      sizeRows.push([
        `${scale.facts.toLocaleString('en')} facts / ${scale.users.toLocaleString('en')} users`,
        bytes(Number(s.heap)),
        bytes(Number(s.hnsw)),
        bytes(Number(s.other)),
        bytes(Number(s.total)),
        `${loadSeconds.toFixed(0)} s`,
        `${indexSeconds.toFixed(0)} s`,
        ms(percentile(insertWith, 50)),
        ms(percentile(insertWithout, 50)),
      ])
      out.push(
        `\n**${scale.facts.toLocaleString('en')} facts over ${scale.users.toLocaleString('en')} users ` +
          `(~${Math.round(scale.facts / scale.users)} per user)**\n\n` +
          table(['plan', 'rows returned (mean)', `recall@${o.k}`, 'p50 ms', 'p95 ms', 'p50 ÷ exact plan'], rows) +
          `\n\nThe HNSW rows' plan: \`${naivePlan}\``,
      )
    } finally {
      await handle.close()
      await scratch.drop()
    }
  }
  out.push(
    `\n**Disk** (\`pg_relation_size\` / \`pg_indexes_size\` / \`pg_total_relation_size\` after loading; ` +
      'the HNSW index is what has to stay in memory for HNSW plans to be fast, the exact plan reads only one user\'s heap pages ' +
      'through the btree). The last two columns time 200 one-row fact inserts (384-dim random vector) with the HNSW index in ' +
      'place, then 200 after dropping it, one at a time: the index maintenance every fact write pays.\n\n' +
      table(
        ['scale', 'heap + TOAST', 'HNSW index', 'btree + GIN indexes', 'total', 'load', 'HNSW build', 'fact insert p50 ms, with HNSW', 'without HNSW'],
        sizeRows,
      ),
  )
  return out.join('\n')
}
