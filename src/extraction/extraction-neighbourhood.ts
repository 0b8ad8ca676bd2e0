import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { cosineDistance, parseVectorLiteral, vectorText } from '../db/vector.js'
import type { FactScope } from '../facts/fact.js'
import { isUuid } from '../facts/fact-repository.js'
import type { ReconcileFact } from '../facts/reconcile.js'
import { scopedFacts } from '../facts/scoped-facts.js'

/** What reconciliation needs of a candidate to find the facts it may touch. */
export interface NeighbourhoodCandidate {
  key: string | null
  replacesFactId: string | null
  embedding: readonly number[]
}

/**
 * The active facts reconciliation compares candidates with, in one statement: same-key facts, the
 * facts named by `replacesFactId` (only if they are in this scope: the query is scoped), and the
 * `k` nearest neighbours of each candidate. The commit reads them under the user's advisory lock,
 * so no other extraction changes them before its writes.
 *
 * The neighbours are found as `nearestScopedFacts` finds them (the scope's active facts with an
 * embedding, materialized first so the per-user btree is used and no HNSW scan drops rows, then
 * ordered by cosine distance and id), once per candidate: one `union` branch each over the same
 * materialized rows, instead of one round trip each.
 */
export async function loadNeighbourhood(
  db: Kysely<Database>,
  scope: FactScope,
  candidates: readonly NeighbourhoodCandidate[],
  k: number,
): Promise<ReconcileFact[]> {
  const replaced = [
    ...new Set(candidates.flatMap((c) => (c.replacesFactId !== null && isUuid(c.replacesFactId) ? [c.replacesFactId] : []))),
  ]
  const keys = [...new Set(candidates.flatMap((c) => (c.key === null ? [] : [c.key])))]
  const near = k > 0 ? nearestFactIds(db, scope, candidates.map((c) => c.embedding), k) : undefined
  const rows = await scopedFacts(db, scope)
    .select(['facts.id', 'facts.content', 'facts.kind', 'facts.key', 'facts.confidence', vectorText('facts.embedding').as('embedding')])
    .where('facts.status', '=', 'active')
    .where((eb) => {
      const ors = []
      if (near) ors.push(eb('facts.id', 'in', near))
      if (replaced.length > 0) ors.push(eb('facts.id', 'in', replaced))
      if (keys.length > 0) ors.push(eb('facts.key', 'in', keys))
      return ors.length > 0 ? eb.or(ors) : eb.val(false)
    })
    .orderBy('facts.created_at')
    .orderBy('facts.id')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    content: r.content,
    kind: r.kind,
    key: r.key,
    confidence: Number(r.confidence),
    embedding: r.embedding === null ? null : parseVectorLiteral(r.embedding),
  }))
}

/**
 * The ids of the `k` active facts nearest to each query vector, as one subquery:
 * `with scoped as materialized (…) select id from (branch 1 union branch 2 …)`, `undefined` for
 * no query. Each branch finds what `nearestScopedFacts` would for its vector.
 */
export function nearestFactIds(db: Kysely<Database>, scope: FactScope, queries: readonly (readonly number[])[], k: number) {
  if (queries.length === 0) return undefined
  return db
    .with(
      (cte) => cte('scoped').materialized(),
      (qc) =>
        scopedFacts(qc, scope)
          .select(['facts.id', 'facts.embedding'])
          .where('facts.status', '=', 'active')
          .where('facts.embedding', 'is not', null),
    )
    .selectFrom((qc) => {
      const [first, ...rest] = queries.map((query) =>
        qc
          .selectFrom((sub) =>
            sub
              .selectFrom('scoped')
              .select(['scoped.id', cosineDistance('scoped.embedding', query).as('distance')])
              .orderBy('distance')
              .orderBy('scoped.id')
              .limit(k)
              .as('nearest'),
          )
          .select('nearest.id'),
      )
      return rest.reduce((all, branch) => all.union(branch), first!).as('near')
    })
    .select('near.id')
}
