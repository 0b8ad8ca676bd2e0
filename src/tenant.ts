import { FactlineError } from './errors.js'

/**
 * The tenant column. Every per-user row carries `user_id`, the column Citus shards by and every
 * key and statement names, so one user's rows live together and a memory turn touches one shard.
 *
 * A session without a user still needs a tenant: it gets `NO_USER_TENANT_PREFIX` followed by its
 * session id, so such sessions spread across shards like users do. User ids starting with the
 * prefix are refused (`assertNotReservedUserId`), so the value is never a real user's.
 */
export const NO_USER_TENANT_PREFIX = '\u0001'

/** Names a session for a statement: its id and the user it belongs to (null: none). */
export interface SessionRef {
  sessionId: string
  userId: string | null
}

/** The `user_id` value stored for `ref`'s rows. */
export function tenantOf(ref: SessionRef): string {
  return ref.userId ?? NO_USER_TENANT_PREFIX + ref.sessionId
}

/** The user a stored tenant names; null for the reserved tenant of a session without a user. */
export function userOfTenant(tenant: string): string | null {
  return tenant.startsWith(NO_USER_TENANT_PREFIX) ? null : tenant
}

/**
 * @throws FactlineError `invalid_argument` for a user id starting with U+0001, the prefix reserved
 * for sessions without a user.
 */
export function assertNotReservedUserId(name: string, userId: string): void {
  if (userId.startsWith(NO_USER_TENANT_PREFIX)) {
    throw new FactlineError('invalid_argument', `${name} must not start with U+0001 (reserved for sessions without a user)`)
  }
}
