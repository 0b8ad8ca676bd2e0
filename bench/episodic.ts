import { sql, type Kysely } from 'kysely'
import { createDb } from '../src/db/create-db.js'
import { migrate } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'
import type { Embedder } from '../src/embed/embedder.js'
import { searchMemory } from '../src/recall/search.js'
import type { BenchContext } from './lib/context.js'
import { BENCH_TIMEOUTS, createScratchDb } from './lib/scratch-db.js'
import { bytes, ms, percentile, ratio, table } from './lib/stats.js'

const DIMENSIONS = 384
const NAMESPACE = 'default'
const HEAVY_USER = 'heavy-user'
/** Chunks per stored message (a long message is split into sentence-aware chunks). */
const CHUNKS_PER_MESSAGE = 10
/** Rows per basis table; a row's vector is the sum of one row of each (1000³ combinations). */
const BASIS = 1000

export interface EpisodicBenchOptions {
  /** Chunks of the heavy user. */
  heavyChunks: number
  /** Chunks in the whole table (the heavy user's included). */
  totalChunks: number
  /** Chunks of each of the other users. */
  chunksPerOtherUser: number
  queries: number
  k: number
}

/** One way of finding the heavy user's k nearest excerpts for a query vector. */
interface Plan {
  name: string
  run(db: Kysely<Database>, userId: string, query: number[]): Promise<string[]>
}

const vec = (v: readonly number[]) => sql`${`[${v.join(',')}]`}::vector(${sql.lit(DIMENSIONS)})`

/**
 * The episodic index at the scale of a heavy user: `heavyChunks` transcript excerpts of one user
 * among `totalChunks` of everybody (the others hold `chunksPerOtherUser` each), every user's rows
 * spread over the whole heap. Compares, for that one user, factline's exact per-user scan with
 * pgvector's compact representations (a stored `halfvec`, and `binary_quantize` with exact
 * re-ranking of the Hamming-nearest candidates), each against a brute-force top k computed in Node.
 *
 * Vectors are sums of three random basis vectors (1000 of each), so the data has neighbourhood
 * structure as real embeddings do (pure noise would make every neighbour equally far), and queries
 * are drawn from the same distribution.
 */
export async function benchEpisodic(ctx: BenchContext, o: EpisodicBenchOptions): Promise<string> {
  const scratch = await createScratchDb(ctx.adminUrl)
  const handle = await createDb({ url: scratch.url, poolSize: 2, timeouts: BENCH_TIMEOUTS })
  try {
    await migrate(handle, { embeddingDimensions: DIMENSIONS })
    const { db } = handle
    ctx.log(`episodic: loading ${o.totalChunks.toLocaleString('en')} excerpts (${o.heavyChunks.toLocaleString('en')} for one user)`)
    const load = performance.now()
    const others = await loadExcerpts(db, o)
    const loadSeconds = (performance.now() - load) / 1000
    ctx.log(`episodic: loaded in ${loadSeconds.toFixed(0)} s; adding the compact columns`)
    const compact = performance.now()
    await addCompactColumns(db)
    const compactSeconds = (performance.now() - compact) / 1000

    const basis = await readBasis(db)
    const queries = Array.from({ length: o.queries }, () => drawVector(basis))
    ctx.log('episodic: exact ground truth in Node (reading the heavy user\'s vectors)')
    const truth = await bruteForce(db, HEAVY_USER, queries, o.k)

    const api = fixedEmbedder(queries)
    const plans: Plan[] = [
      {
        name: '`memory.search` (excerpts only) ← factline API',
        run: async (_db, userId, query) =>
          (await searchMemory(handle, api, { userId, namespace: NAMESPACE, query: api.textOf(query), k: o.k, types: ['excerpt'] })).map(
            (h) => h.id,
          ),
      },
      exactPlan(o.k),
      halfvecPlan(o.k),
      halfvecRerankPlan(o.k, 4 * o.k),
      ...[40, 100, 400].map((candidates) => binaryRerankPlan(o.k, candidates)),
    ]
    const rows = await timePlans(db, plans, HEAVY_USER, queries, truth, o.k)

    // A light user's search, to show the per-user scan costs what the user owns, not the table.
    const lightUser = `user-${Math.floor(others / 2)}`
    const lightTruth = await bruteForce(db, lightUser, queries, o.k)
    const lightRows = await timePlans(db, [exactPlan(o.k), halfvecRerankPlan(o.k, 4 * o.k), binaryRerankPlan(o.k, 40)], lightUser, queries, lightTruth, o.k)

    const sizes = await sql<{ table: string; scope: string; bq: string; hv: string }>`
      select pg_total_relation_size('transcript_excerpts') as table,
             pg_relation_size('transcript_excerpts_scope_idx') as scope,
             pg_relation_size('transcript_excerpts_bits_idx') as bq,
             pg_relation_size('bench_excerpts_hv_idx') as hv`.execute(db)
    const s = sizes.rows[0]!
    return [
      `${o.totalChunks.toLocaleString('en')} excerpts of ${DIMENSIONS} dimensions over ${(others + 1).toLocaleString('en')} users: one ` +
        `heavy user with ${o.heavyChunks.toLocaleString('en')} (spread over the heap), the others ${o.chunksPerOtherUser} each. ` +
        `k=${o.k}, ${o.queries} queries, warm cache (each plan runs every query once untimed first, then the timed pass rotates ` +
        `the plan order). recall@k counts how many of the exact top k (brute force in Node over the user's vectors) a plan returns. ` +
        `Load ${loadSeconds.toFixed(0)} s; the stored halfvec column and its covering index took ${compactSeconds.toFixed(0)} s.`,
      `**Heavy user (${o.heavyChunks.toLocaleString('en')} excerpts)**`,
      table(['plan', 'recall@k', 'p50', 'p95', 'vs exact scan'], rows),
      `**A light user (${o.chunksPerOtherUser} excerpts) in the same table**`,
      table(['plan', 'recall@k', 'p50', 'p95', 'vs exact scan'], lightRows),
      `Sizes: table with TOAST ${bytes(Number(s.table))}; per-user btree \`(user_id, namespace, at)\` ${bytes(Number(s.scope))}; ` +
        `covering btree with the 48-byte binary code ${bytes(Number(s.bq))}; covering btree with the 768-byte halfvec ${bytes(Number(s.hv))}.`,
    ].join('\n\n')
  } finally {
    await handle.close()
    await scratch.drop()
  }
}

/** factline's plan today: the user's rows through the per-user btree, exact cosine, sort. */
function exactPlan(k: number): Plan {
  return {
    name: 'exact scan: per-user btree, cosine on every row',
    run: async (db, userId, query) => {
      const r = await sql<{ id: string }>`
        select id::text from transcript_excerpts where user_id = ${userId} and namespace = ${NAMESPACE}
        order by embedding <=> ${vec(query)}, transcript_excerpts.id limit ${k}`.execute(db)
      return r.rows.map((row) => row.id)
    },
  }
}

/** The same exact scan over a stored half-precision copy, read from a covering index. */
function halfvecPlan(k: number): Plan {
  return {
    name: 'stored `halfvec`, covering index (index-only scan)',
    run: async (db, userId, query) => {
      const r = await sql<{ id: string }>`
        select id::text from transcript_excerpts where user_id = ${userId} and namespace = ${NAMESPACE}
        order by hv <=> ${vec(query)}::halfvec(${sql.lit(DIMENSIONS)}), transcript_excerpts.id limit ${k}`.execute(db)
      return r.rows.map((row) => row.id)
    },
  }
}

/** The halfvec scan keeps `candidates` rows; full-precision cosine re-ranks them (exact order). */
function halfvecRerankPlan(k: number, candidates: number): Plan {
  return {
    name: `stored \`halfvec\` top ${candidates}, full-precision re-rank`,
    run: async (db, userId, query) => {
      const r = await sql<{ id: string }>`
        with candidates as materialized (
          select id from transcript_excerpts where user_id = ${userId} and namespace = ${NAMESPACE}
          order by hv <=> ${vec(query)}::halfvec(${sql.lit(DIMENSIONS)}) limit ${candidates}
        )
        select e.id::text from transcript_excerpts e join candidates c using (id)
        order by e.embedding <=> ${vec(query)}, e.id limit ${k}`.execute(db)
      return r.rows.map((row) => row.id)
    },
  }
}

/**
 * pgvector's binary quantization: Hamming distance (`<~>`) on the stored 48-byte code, read from a
 * covering index, keeps `candidates` rows; exact cosine re-ranks those alone.
 */
function binaryRerankPlan(k: number, candidates: number): Plan {
  return {
    name: `\`binary_quantize\` + Hamming top ${candidates}, cosine re-rank`,
    run: async (db, userId, query) => {
      const r = await sql<{ id: string }>`
        with candidates as materialized (
          select id from transcript_excerpts where user_id = ${userId} and namespace = ${NAMESPACE}
          order by embedding_bits <~> binary_quantize(${vec(query)}) limit ${candidates}
        )
        select e.id::text from transcript_excerpts e join candidates c using (id)
        order by e.embedding <=> ${vec(query)}, e.id limit ${k}`.execute(db)
      return r.rows.map((row) => row.id)
    },
  }
}

async function timePlans(
  db: Kysely<Database>,
  plans: Plan[],
  userId: string,
  queries: number[][],
  truth: string[][],
  k: number,
): Promise<string[][]> {
  for (const q of queries) for (const plan of plans) await plan.run(db, userId, q)
  const latencies = plans.map((): number[] => [])
  const hits = plans.map(() => 0)
  for (let i = 0; i < queries.length; i++) {
    // Ids compared as text: the int8 result plugin hands raw-SQL ids back as numbers.
    const expected = new Set(truth[i]!.map(String))
    for (let step = 0; step < plans.length; step++) {
      const p = (i + step) % plans.length
      const t = performance.now()
      const ids = await plans[p]!.run(db, userId, queries[i]!)
      latencies[p]!.push(performance.now() - t)
      hits[p]! += ids.filter((id) => expected.has(String(id))).length
    }
  }
  const exact = plans.findIndex((p) => p.name.startsWith('exact scan'))
  const exactP50 = percentile(latencies[exact]!, 50)
  const expectedTotal = truth.reduce((n, t) => n + Math.min(t.length, k), 0)
  return plans.map((plan, p) => [
    plan.name,
    (hits[p]! / expectedTotal).toFixed(3),
    ms(percentile(latencies[p]!, 50)),
    ms(percentile(latencies[p]!, 95)),
    ratio(percentile(latencies[p]!, 50) / exactP50),
  ])
}

/**
 * Loads the table in SQL (no vectors cross the wire): sessions and messages first (excerpts cascade
 * from messages), then `CHUNKS_PER_MESSAGE` excerpts per message. Message m belongs to the heavy
 * user when m is a multiple of the stride, otherwise to a user picked by a hash of m (so a light user holds about `chunksPerOtherUser`). Returns the number of
 * other users.
 */
async function loadExcerpts(db: Kysely<Database>, o: EpisodicBenchOptions): Promise<number> {
  const messages = Math.ceil(o.totalChunks / CHUNKS_PER_MESSAGE)
  const stride = Math.max(1, Math.round(o.totalChunks / o.heavyChunks))
  const others = Math.max(1, Math.round((o.totalChunks - o.heavyChunks) / o.chunksPerOtherUser))
  for (const [name, scale] of [['bench_basis_a', 1], ['bench_basis_b', 0.6], ['bench_basis_c', 0.3]] as const) {
    await sql`create table ${sql.table(name)} as
      select i, array(select ((random() - 0.5) * ${scale})::real from generate_series(1, ${sql.lit(DIMENSIONS)}) where i >= 0)::vector(${sql.lit(DIMENSIONS)}) as v
      from generate_series(0, ${sql.lit(BASIS - 1)}) i`.execute(db)
    await sql`create unique index on ${sql.table(name)} (i)`.execute(db)
  }
  await sql`insert into agent_sessions (session_id, user_id, namespace)
    select 'session-heavy', ${HEAVY_USER}, ${NAMESPACE}
    union all select 'session-' || u, 'user-' || u, ${NAMESPACE} from generate_series(0, ${others - 1}) u`.execute(db)
  await sql`insert into agent_messages (id, user_id, session_id, message_data)
    select m, s.user_id, s.session_id, json_build_object('role', 'user', 'content', 'message ' || m)
    from generate_series(1, ${messages}) m
    join agent_sessions s on s.session_id = case when m % ${stride} = 0 then 'session-heavy'
                                                 else 'session-' || (abs(hashint8extended(m, 4)) % ${others}) end`.execute(db)
  // Three independent hashes pick the basis rows, so neighbouring rows (and one user's rows) differ.
  await sql`insert into transcript_excerpts (user_id, namespace, session_id, message_id, chunk, text, embedding, at)
    select s.user_id, ${NAMESPACE}, m.session_id, m.id, c, 'excerpt ' || m.id || ' part ' || c,
           a.v + b.v + d.v, timestamptz '2026-01-01'
    from agent_messages m
    join agent_sessions s on s.user_id = m.user_id and s.session_id = m.session_id
    cross join generate_series(0, ${CHUNKS_PER_MESSAGE - 1}) c
    join bench_basis_a a on a.i = abs(hashint8extended(m.id * 10 + c, 1)) % ${sql.lit(BASIS)}
    join bench_basis_b b on b.i = abs(hashint8extended(m.id * 10 + c, 2)) % ${sql.lit(BASIS)}
    join bench_basis_c d on d.i = abs(hashint8extended(m.id * 10 + c, 3)) % ${sql.lit(BASIS)}`.execute(db)
  return others
}

/**
 * The half-precision candidate as a stored generated column with a covering btree on the user's
 * scope, so a scan reads the compact value from the index and never the 1.5 KB vector. The
 * binary code (`embedding_bits`) and its covering index come with factline's migrations.
 */
async function addCompactColumns(db: Kysely<Database>): Promise<void> {
  await sql`alter table transcript_excerpts
    add column hv halfvec(${sql.lit(DIMENSIONS)}) generated always as (embedding::halfvec(${sql.lit(DIMENSIONS)})) stored`.execute(db)
  await sql`create index bench_excerpts_hv_idx on transcript_excerpts (user_id, namespace) include (id, hv)`.execute(db)
  await sql`vacuum analyze transcript_excerpts`.execute(db)
}

type Basis = [number[][], number[][], number[][]]

async function readBasis(db: Kysely<Database>): Promise<Basis> {
  const read = async (name: string) =>
    (await sql<{ v: string }>`select v::text as v from ${sql.table(name)} order by i`.execute(db)).rows.map((r) => parseVector(r.v))
  return [await read('bench_basis_a'), await read('bench_basis_b'), await read('bench_basis_c')]
}

function drawVector([a, b, c]: Basis): number[] {
  const pick = (rows: number[][]) => rows[Math.floor(Math.random() * rows.length)]!
  const [x, y, z] = [pick(a), pick(b), pick(c)]
  return x.map((v, i) => v + y[i]! + z[i]!)
}

function parseVector(text: string): number[] {
  return text.slice(1, -1).split(',').map(Number)
}

/**
 * The exact top k per query: every vector of the user read once, cosine computed in Node with
 * pgvector's single-precision arithmetic (`Math.fround` at each step), so a near tie at rank k is
 * decided as the server decides it and the exact scan scores 1.
 */
async function bruteForce(db: Kysely<Database>, userId: string, queries: number[][], k: number): Promise<string[][]> {
  const q32 = queries.map((q) => q.map(Math.fround))
  const best = queries.map((): { id: string; d: number }[] => [])
  let after = '0'
  for (;;) {
    const page = await sql<{ id: string; v: string }>`
      select id::text, embedding::text as v from transcript_excerpts
      where user_id = ${userId} and namespace = ${NAMESPACE} and id > ${after}::bigint order by transcript_excerpts.id limit 5000`.execute(db)
    if (page.rows.length === 0) break
    for (const row of page.rows) {
      const v = parseVector(row.v)
      q32.forEach((q, i) => {
        const top = best[i]!
        top.push({ id: String(row.id), d: cosineDistance32(q, v) })
        if (top.length > 4 * k) {
          top.sort((x, y) => x.d - y.d || Number(x.id) - Number(y.id))
          top.length = k
        }
      })
    }
    after = String(page.rows.at(-1)!.id)
  }
  return best.map((top) => top.sort((x, y) => x.d - y.d || Number(x.id) - Number(y.id)).slice(0, k).map((t) => t.id))
}

/** pgvector's `vector_cosine_distance`: sums in float, the final division in double. */
function cosineDistance32(a: readonly number[], b: readonly number[]): number {
  const f = Math.fround
  let dot = 0
  let na = 0
  let nb = 0
  for (let j = 0; j < a.length; j++) {
    dot = f(dot + f(a[j]! * b[j]!))
    na = f(na + f(a[j]! * a[j]!))
    nb = f(nb + f(b[j]! * b[j]!))
  }
  return 1 - dot / Math.sqrt(na * nb)
}

/** An embedder that returns the bench's prepared query vectors, so `memory.search` runs as in production. */
function fixedEmbedder(queries: number[][]): Embedder & { textOf(query: number[]): string } {
  // Letters only: digits would match the excerpts' text ("excerpt 12 part 3") in the full-text ranking.
  const text = (i: number) => `benchprobe ${i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)))}`
  const byText = new Map(queries.map((q, i) => [text(i), q]))
  const textByVector = new Map(queries.map((q, i) => [q, text(i)]))
  return {
    id: 'bench-fixed',
    dimensions: DIMENSIONS,
    async embed(texts) {
      return texts.map((t) => {
        const v = byText.get(t)
        if (!v) throw new Error(`no prepared vector for ${JSON.stringify(t)}`)
        return v
      })
    },
    textOf: (query) => textByVector.get(query)!,
  }
}
