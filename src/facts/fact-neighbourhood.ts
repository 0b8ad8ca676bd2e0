import { sql, type Kysely } from 'kysely'
import { isUuid } from '../assert-id.js'
import type { Database } from '../db/schema.js'
import { cosineDistance, parseVectorLiteral, vectorText } from '../db/vector.js'
import type { Scope } from '../scope.js'
import type { ReconcileFact } from './reconcile.js'
import { scopedFacts } from './scoped-facts.js'

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
 * The neighbours are found by `nearestFactIds`, once per candidate: one `union` branch each over
 * the same materialized rows, instead of one round trip each.
 */
export async function loadNeighbourhood(
  db: Kysely<Database>,
  scope: Scope,
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
 * no query. The scope's active facts with an embedding are materialized first, so the per-user
 * btree is used and no HNSW scan filtered afterwards drops rows (see `recallQuery`); each branch
 * orders them by cosine distance, then id.
 */
export function nearestFactIds(db: Kysely<Database>, scope: Scope, queries: readonly (readonly number[])[], k: number) {
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

/** An active fact shown to an extractor as context. */
export interface RelevantFact {
  id: string
  content: string
  kind: string | null
  key: string | null
}

/**
 * The facts an extractor sees beside new items: every active keyed fact (slots it may correct,
 * newest first) plus the facts nearest to `query` (what the batch says), at most `limit` in all.
 * Read without locks: this is only context for the model, and reconciliation re-reads the facts
 * under the lock.
 */
export async function loadRelevantFacts(
  db: Kysely<Database>,
  scope: Scope,
  query: readonly number[] | undefined,
  limit: number,
): Promise<RelevantFact[]> {
  // One statement for both lists: the union of the newest keyed facts and the nearest ones, each
  // row carrying what both orders need, so each list is cut again here exactly as its own query
  // would have (a superset's top `limit` is the list's own top `limit`).
  const near = query ? nearestFactIds(db, scope, [query], limit) : undefined
  const keyed = scopedFacts(db, scope)
    .select('facts.id')
    .where('facts.status', '=', 'active')
    .where('facts.key', 'is not', null)
    .orderBy('facts.updated_at', 'desc')
    .limit(limit)
  const rows = await scopedFacts(db, scope)
    .select(['facts.id', 'facts.content', 'facts.kind', 'facts.key', 'facts.updated_at'])
    .select((query ? cosineDistance('facts.embedding', query) : sql<number | null>`null`).as('distance'))
    .where('facts.status', '=', 'active')
    .where((eb) => eb.or([eb('facts.id', 'in', keyed), ...(near ? [eb('facts.id', 'in', near)] : [])]))
    .execute()
  const newest = rows
    .filter((r) => r.key !== null)
    .sort((a, b) => new Date(b.updated_at).getTime() - new Date(a.updated_at).getTime())
    .slice(0, limit)
  const nearest = near
    ? rows
        .filter((r) => r.distance !== null)
        .sort((a, b) => Number(a.distance) - Number(b.distance) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
    : []
  const seen = new Set<string>()
  const out: RelevantFact[] = []
  for (const r of [...newest, ...nearest]) {
    if (seen.has(r.id) || out.length >= limit) continue
    seen.add(r.id)
    out.push({ id: r.id, content: r.content, kind: r.kind, key: r.key })
  }
  return out
}
