import { PostgresDialect, type DatabaseConnection, type Driver } from 'kysely'
import { z } from 'zod'
import { FactlineError } from '../errors.js'

const millis = z.number().int().min(0).max(86_400_000)

/**
 * Limits PostgreSQL enforces on each connection of a pool factline opens (`{ url }`), so a runaway
 * query, a lock queue or a transaction left open cannot hold a connection forever. 0 sends
 * nothing: the server's (or role's) own setting applies.
 */
export const ServerTimeoutsSchema = z.strictObject({
  /** `statement_timeout`: longest one statement may run. @defaultValue 60000 */
  statementMs: millis.default(60_000),
  /** `lock_timeout`: longest a statement waits for a lock. @defaultValue 10000 */
  lockMs: millis.default(10_000),
  /** `idle_in_transaction_session_timeout`: longest a transaction may sit idle. @defaultValue 60000 */
  idleInTransactionMs: millis.default(60_000),
})
export type ServerTimeoutOptions = z.input<typeof ServerTimeoutsSchema>
export type ServerTimeouts = z.output<typeof ServerTimeoutsSchema>

export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = ServerTimeoutsSchema.parse({})

/** The pg `Pool` settings that send the timeouts as startup parameters (no extra round trip). */
export function poolTimeoutSettings(t: ServerTimeouts) {
  // pg sends a setting only when it is truthy, so 0 leaves the server's default in force.
  return {
    statement_timeout: t.statementMs,
    lock_timeout: t.lockMs,
    idle_in_transaction_session_timeout: t.idleInTransactionMs,
  }
}

// 57014 query_canceled (statement_timeout, or a cancel request); 55P03 lock_not_available (lock_timeout).
const TIMEOUT_SQLSTATES: Record<string, string> = {
  '57014': 'the statement ran past statement_timeout (or was cancelled)',
  '55P03': 'the statement waited past lock_timeout for a lock',
}

/** The typed error for a statement PostgreSQL cancelled for time; other errors pass through. */
export function typedDatabaseError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !(code in TIMEOUT_SQLSTATES)) return error
  return new FactlineError(
    'timeout',
    `PostgreSQL stopped a statement: ${TIMEOUT_SQLSTATES[code]}. Nothing of its transaction was kept; ` +
      'retry, or raise database.timeouts (FACTLINE_STATEMENT_TIMEOUT_MS, FACTLINE_LOCK_TIMEOUT_MS) if the work is legitimately long.',
    { cause: error, details: { sqlState: code, retryable: true } },
  )
}

/** A connection whose query errors come out typed; everything else is the original's, bound to it. */
function withTypedErrors(connection: DatabaseConnection): DatabaseConnection {
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'executeQuery') {
        return async (...args: Parameters<DatabaseConnection['executeQuery']>) => {
          try {
            return await target.executeQuery(...args)
          } catch (error) {
            throw typedDatabaseError(error)
          }
        }
      }
      // Bound to the original: kysely's driver calls private (#) members and symbol-keyed methods on it.
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Kysely's PostgreSQL dialect, with timeout errors turned into `FactlineError` code `timeout`. */
export class TypedErrorsPostgresDialect extends PostgresDialect {
  override createDriver(): Driver {
    const inner = super.createDriver()
    const originals = new WeakMap<DatabaseConnection, DatabaseConnection>()
    const original = (c: DatabaseConnection) => originals.get(c) ?? c
    return {
      init: () => inner.init(),
      async acquireConnection() {
        const connection = await inner.acquireConnection()
        const typed = withTypedErrors(connection)
        originals.set(typed, connection)
        return typed
      },
      // The typed connection runs begin/commit/rollback, so their timeouts come out typed too.
      beginTransaction: (c, settings) => inner.beginTransaction(c, settings),
      commitTransaction: (c) => inner.commitTransaction(c),
      rollbackTransaction: (c) => inner.rollbackTransaction(c),
      ...(inner.savepoint ? { savepoint: (c, name, compile) => inner.savepoint!(c, name, compile) } : {}),
      ...(inner.rollbackToSavepoint ? { rollbackToSavepoint: (c, name, compile) => inner.rollbackToSavepoint!(c, name, compile) } : {}),
      ...(inner.releaseSavepoint ? { releaseSavepoint: (c, name, compile) => inner.releaseSavepoint!(c, name, compile) } : {}),
      releaseConnection: (c) => inner.releaseConnection(original(c)),
      destroy: () => inner.destroy(),
    }
  }
}
