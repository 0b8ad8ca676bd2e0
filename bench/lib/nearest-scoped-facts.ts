import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { cosineDistance } from '../../src/db/vector.js'
import { scopedFacts } from '../../src/facts/scoped-facts.js'
import type { CandidateFilter } from '../../src/recall/recall-query.js'
import type { Scope } from '../../src/scope.js'

/**
 * The scope's facts nearest to `query` by cosine distance, computed exactly over the scope's rows
 * (a `MATERIALIZED` CTE, as in `recallQuery` and `nearestFactIds`, which embed the same scan in
 * their statements). The standalone form benches time and tests compare those statements with.
 */
export async function nearestScopedFacts(
  db: Kysely<Database>,
  scope: Scope,
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
