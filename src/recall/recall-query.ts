import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database, FactStatus } from '../db/schema.js'
import { cosineDistance } from '../db/vector.js'
import { FACT_COLUMNS } from '../facts/fact.js'
import { scopedFacts } from '../facts/scoped-facts.js'
import type { Scope } from '../scope.js'

/** Constant of reciprocal rank fusion; 60 is the value from Cormack et al. (2009) and common practice. */
export const RRF_K = 60

/** Which of a scope's facts a candidate search considers. */
export interface CandidateFilter {
  statuses: readonly FactStatus[]
  kinds?: readonly string[] | undefined
}

/** Everything one recall statement depends on, already validated. @internal */
export interface RecallQueryParams {
  /** The query text, for the full-text ranking. */
  text: string
  /** The query's embedding, for the vector ranking. */
  vector: readonly number[]
  filter: CandidateFilter
  /** Depth of each ranking before fusion. */
  candidates: number
  k: number
  /** Cosine floor under which a vector candidate leaves the vector ranking. */
  minScore?: number | undefined
  recencyHalfLifeDays: number
  recencyWeight: number
  /** The instant ages are measured from, in epoch milliseconds. */
  now: number
}

/** An OR query over the text's stemmed words: a fact sharing any content word with the query matches. */
function anyWordQuery(text: string): RawBuilder<string> {
  return sql<string>`replace(plainto_tsquery('english', ${text})::text, ' & ', ' | ')::tsquery`
}

/** `1 / (K + rank)`, or 0 for a fact absent from that ranking (its rank is null after grouping). */
function reciprocalRank(rank: RawBuilder<number | null>): RawBuilder<number> {
  return sql<number>`coalesce(1 / (${sql.lit(RRF_K)}::float8 + ${rank}), 0)`
}

/**
 * `(1 − w) + w × 0.5^(max(0, ageDays) / halfLife)`, `recencyFactor` in SQL. The age is taken in
 * whole milliseconds, as a JS `Date` holds `valid_from`, so SQL and TS see the same number.
 */
function recencyFactorSql(column: string, p: RecallQueryParams): RawBuilder<number> {
  const validFromMs = sql<number>`floor(extract(epoch from ${sql.ref(column)}) * 1000)::float8`
  const ageDays = sql<number>`(${p.now}::float8 - ${validFromMs}) / 86400000`
  const w = sql<number>`${p.recencyWeight}::float8`
  return sql<number>`(1 - ${w} + ${w} * power(0.5::float8, greatest(0::float8, ${ageDays}) / ${p.recencyHalfLifeDays}::float8))`
}

/**
 * The whole of `recallFacts` as one statement, so a recall costs one round trip on one connection:
 *
 * - `scoped`: the scope's rows with the requested statuses and kinds, `MATERIALIZED` so both
 *   rankings run exactly over the user's own rows: PostgreSQL fetches them through the btree on
 *   `(user_id, namespace, status)` and only then orders them by distance. An HNSW scan with a
 *   `user_id` filter instead visits the `hnsw.ef_search` (40) globally nearest vectors and filters
 *   afterwards, so a user whose facts are a small share of the table gets fewer than `k` rows,
 *   often none (bench/recall-plan.ts). One user's facts number in the thousands at most, so the
 *   exact scan is cheap and its result does not depend on other users' data.
 * - `nearest` → `vec`: the `candidates` nearest by cosine distance, numbered from 1, then cut at the
 *   `minScore` floor. Distance only grows down the list, so the cut drops a tail and no rank moves.
 *   A fact under the floor that also matches by text keeps only its text rank (similarity null).
 * - `text_hits` → `txt`: the `candidates` best `ts_rank_cd` matches, numbered from 1.
 * - `ranked`: both rankings stacked and grouped by fact, scored by normalised reciprocal rank
 *   fusion × the recency factor, best `k` first; ties go to the closer vector match, then the id.
 *   Grouping rather than joining: the planner estimates a CTE scan at a handful of rows and picks
 *   nested loops, which over thousands of a user's facts compare every pair.
 * - the fact columns of just those `k` rows (through `scopedFacts` again, by primary key), and
 *   their sources aggregated by a lateral `json_agg`.
 *
 * `fuseRankings` × `recencyFactor` (test/helpers) is the reference this must equal (test/integration/recall).
 * @internal
 */
export function recallQuery(db: Kysely<Database>, scope: Scope, p: RecallQueryParams) {
  const words = anyWordQuery(p.text)
  return db
    .with(
      (cte) => cte('scoped').materialized(),
      (qc) => {
        let q = scopedFacts(qc, scope)
          .select(['facts.id', 'facts.valid_from', 'facts.embedding', 'facts.search'])
          .where('facts.status', 'in', [...p.filter.statuses])
        if (p.filter.kinds) q = q.where('facts.kind', 'in', [...p.filter.kinds])
        return q
      },
    )
    .with('nearest', (qc) =>
      qc
        .selectFrom('scoped')
        .select(['scoped.id', 'scoped.valid_from', cosineDistance('scoped.embedding', p.vector).as('distance')])
        .where('scoped.embedding', 'is not', null)
        .orderBy('distance')
        .orderBy('scoped.id')
        .limit(p.candidates),
    )
    .with('vec', (qc) => {
      const similarity = sql<number>`1 - ${sql.ref('nearest.distance')}`
      let q = qc
        .selectFrom('nearest')
        .select([
          'nearest.id',
          'nearest.valid_from',
          similarity.as('similarity'),
          sql<number>`row_number() over (order by ${sql.ref('nearest.distance')}, ${sql.ref('nearest.id')})`.as('rank'),
        ])
      if (p.minScore !== undefined) q = q.where(similarity, '>=', sql<number>`${p.minScore}::float8`)
      return q
    })
    .with('text_hits', (qc) =>
      qc
        .selectFrom('scoped')
        .select(['scoped.id', 'scoped.valid_from', sql<number>`ts_rank_cd(${sql.ref('scoped.search')}, ${words})`.as('text_rank')])
        .where(sql<boolean>`${sql.ref('scoped.search')} @@ ${words}`)
        .orderBy('text_rank', 'desc')
        .orderBy('scoped.id')
        .limit(p.candidates),
    )
    .with('txt', (qc) =>
      qc
        .selectFrom('text_hits')
        .select([
          'text_hits.id',
          'text_hits.valid_from',
          sql<number>`row_number() over (order by ${sql.ref('text_hits.text_rank')} desc, ${sql.ref('text_hits.id')})`.as('rank'),
        ]),
    )
    .with('candidates', (qc) =>
      qc
        .selectFrom('vec')
        .select([
          'vec.id',
          'vec.valid_from',
          sql<number | null>`${sql.ref('vec.similarity')}`.as('similarity'),
          sql<number | null>`${sql.ref('vec.rank')}`.as('vec_rank'),
          sql<number | null>`null::bigint`.as('text_rank'),
        ])
        .unionAll(
          qc
            .selectFrom('txt')
            .select([
              'txt.id',
              'txt.valid_from',
              sql<number | null>`null::float8`.as('similarity'),
              sql<number | null>`null::bigint`.as('vec_rank'),
              sql<number | null>`${sql.ref('txt.rank')}`.as('text_rank'),
            ]),
        ),
    )
    .with('ranked', (qc) => {
      const vecRank = sql<number | null>`max(${sql.ref('candidates.vec_rank')})`
      const textRank = sql<number | null>`max(${sql.ref('candidates.text_rank')})`
      const similarity = sql<number | null>`max(${sql.ref('candidates.similarity')})`
      return qc
        .selectFrom('candidates')
        .groupBy(['candidates.id', 'candidates.valid_from'])
        .select([
          'candidates.id',
          similarity.as('similarity'),
          sql<boolean>`${textRank} is not null`.as('text_match'),
          sql<number>`(${reciprocalRank(vecRank)} + ${reciprocalRank(textRank)}) / (2::float8 / ${sql.lit(RRF_K + 1)}) * ${recencyFactorSql('candidates.valid_from', p)}`.as(
            'score',
          ),
        ])
        .orderBy('score', 'desc')
        .orderBy(similarity, (ob) => ob.desc().nullsLast())
        .orderBy('candidates.id')
        .limit(p.k)
    })
    .selectFrom('ranked')
    .innerJoin(scopedFacts(db, scope).select(FACT_COLUMNS).as('fact'), 'fact.id', 'ranked.id')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('fact_sources')
          .innerJoin('agent_messages', (join) =>
            join.onRef('agent_messages.user_id', '=', 'fact_sources.user_id').onRef('agent_messages.id', '=', 'fact_sources.message_id'),
          )
          .select(
            sql<SourceJson[]>`coalesce(json_agg(json_build_object(${sql.lit('sessionId')}, ${sql.ref('fact_sources.session_id')}, ${sql.lit('messageId')}, ${sql.ref('fact_sources.message_id')}, ${sql.lit('createdAt')}, ${sql.ref('agent_messages.created_at')}) order by ${sql.ref('fact_sources.message_id')}), '[]'::json)`.as(
              'sources',
            ),
          )
          .where('fact_sources.user_id', '=', scope.userId)
          .whereRef('fact_sources.fact_id', '=', 'ranked.id')
          .as('src'),
      (join) => join.onTrue(),
    )
    .selectAll('fact')
    .select(['ranked.similarity', 'ranked.text_match', 'ranked.score', 'src.sources'])
    .orderBy('ranked.score', 'desc')
    .orderBy('ranked.similarity', (ob) => ob.desc().nullsLast())
    .orderBy('ranked.id')
}

/** A source as `json_agg` returns it: JSON has no bigint or timestamp, so the caller converts. */
export interface SourceJson {
  sessionId: string
  messageId: number | string
  createdAt: string
}
