import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from './schema.js'

/** What user-scoped code runs on: the database, and whether to tell it whose rows a call may touch. */
export interface UserScopeTarget {
  readonly db: Kysely<Database>
  /** From `database.rowLevelSecurity`; off, every helper here is the plain call it wraps. */
  readonly rowLevelSecurity?: boolean | undefined
}

/** The setting the row-level security policies of migration 0007 compare each row's user with. */
export const USER_ID_SETTING = 'factline.user_id'

/** Sets the user for the rest of this transaction only (`is_local`): it can never leak to the pool. */
async function setUser(trx: Kysely<Database>, userId: string): Promise<void> {
  await sql`select set_config(${USER_ID_SETTING}, ${userId}, true)`.execute(trx)
}

const scoped = (target: UserScopeTarget, userId: string | null | undefined): userId is string =>
  target.rowLevelSecurity === true && typeof userId === 'string'

/**
 * Runs `fn` as `userId`. With row-level security off it is `fn(db)`, unchanged. On, `fn` runs in a
 * transaction that sets `factline.user_id` first (3 extra round trips: begin, set, commit; 1 when
 * `db` is already a transaction). Without a user nothing is set, so a role the policies apply to
 * sees no per-user row at all: it fails closed.
 */
export async function withUserScope<T>(
  target: UserScopeTarget,
  userId: string | null | undefined,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (!scoped(target, userId)) return fn(target.db)
  if (target.db.isTransaction) {
    await setUser(target.db, userId)
    return fn(target.db)
  }
  return target.db.transaction().execute(async (trx) => {
    await setUser(trx, userId)
    return fn(trx)
  })
}

/**
 * A transaction as `userId`: what user-scoped writes open instead of `db.transaction()`. With
 * row-level security on it sets `factline.user_id` first (1 extra round trip).
 */
export async function userTransaction<T>(
  target: UserScopeTarget,
  userId: string | null | undefined,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return target.db.transaction().execute(async (trx) => {
    if (scoped(target, userId)) await setUser(trx, userId)
    return fn(trx)
  })
}
