import type { QueryCreator } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Scope } from '../scope.js'

/**
 * `select … from facts where user_id = $1 and namespace = $2`: the one place fact queries start,
 * so no query can forget the scope. Updates and deletes target `id in (scopedFacts(…).select('id'))`.
 * Works on a `Kysely`, a `Transaction`, or the query creator inside a CTE.
 */
export function scopedFacts(db: QueryCreator<Database>, scope: Scope) {
  return db
    .selectFrom('facts')
    .where('facts.user_id', '=', scope.userId)
    .where('facts.namespace', '=', scope.namespace)
}
