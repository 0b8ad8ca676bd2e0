import type { Kysely } from 'kysely'
import type { Database, FactStatus } from '../db/schema.js'
import { cosineDistance } from '../db/vector.js'
import type { FactScope } from '../facts/fact.js'
import { scopedFacts } from '../facts/scoped-facts.js'

/** Which of a scope's facts a candidate search considers. */
export interface CandidateFilter {
  statuses: readonly FactStatus[]
  kinds?: readonly string[] | undefined
}

/**
 * The scope's facts nearest to `query` by cosine distance, computed exactly.
 *
 * The `MATERIALIZED` CTE makes PostgreSQL fetch the scope's rows through the btree on
 * `(user_id, namespace, status)` and only then order them by distance. An HNSW scan with a
 * `user_id` filter instead visits the `hnsw.ef_search` (40) globally nearest vectors and filters
 * afterwards, so a user whose facts are a small share of the table gets fewer than `limit` rows,
 * often none (bench/recall-plan.ts measures this). One user's facts number in the thousands
 * at most, so the exact scan is cheap and its result does not depend on other users' data.
 * @internal
 */
export async function nearestScopedFacts(
  db: Kysely<Database>,
  scope: FactScope,
  query: readonly number[],
  limit: number,
  filter: CandidateFilter,
): Promise<Array<{ id: string; distance: number }>> {
  const rows = await db
    .with(
      (cte) => cte('scoped').materialized(),
      (qc) => {
        let q = scopedFacts(qc, scope)
          .select(['facts.id', 'facts.embedding'])
          .where('facts.status', 'in', [...filter.statuses])
          .where('facts.embedding', 'is not', null)
        if (filter.kinds) q = q.where('facts.kind', 'in', [...filter.kinds])
        return q
      },
    )
    .selectFrom('scoped')
    .select(['scoped.id', cosineDistance('scoped.embedding', query).as('distance')])
    .orderBy('distance')
    .orderBy('scoped.id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ id: r.id, distance: Number(r.distance) }))
}
