import { errorMessage, FactlineError } from '../errors.js'

// Node socket errors and PostgreSQL SQLSTATEs that mean "the server could not be used", not
// "the query was wrong": class 08 (connection exception), 57P01-03 (shutdown, crash, starting
// up), 28xxx (authentication), 3D000 (no such database).
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'])
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '3D000', '28000', '28P01'])
const MESSAGES = [/connection terminated/i, /terminating connection/i, /connection timeout/i, /client has encountered a connection error/i]

/** True when `error` (or its cause) says the database could not be reached or used, rather than that a statement failed. */
export function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (NODE_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08'))) return true
    if (e instanceof AggregateError && e.errors.some(isConnectionError)) return true
    if (e instanceof Error && MESSAGES.some((m) => m.test(e.message))) return true
  }
  return false
}

/** Where a connection string points, without its password: what errors and logs may show. */
export function describeTarget(url: string | undefined): Record<string, string> {
  if (!url) return {}
  try {
    const u = new URL(url)
    return {
      host: u.hostname || 'localhost',
      port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default)',
      role: decodeURIComponent(u.username) || '(default)',
    }
  } catch {
    return {}
  }
}

/**
 * The typed error for a database that cannot be reached or used: refused, dropped, restarting,
 * wrong role or missing database. Distinct from `migration_required`, and retryable.
 */
export function connectionFailed(cause: unknown, target: Readonly<Record<string, string>> = {}): FactlineError {
  const where = target.host ? ` at ${target.host}:${target.port}/${target.database} as ${target.role}` : ''
  return new FactlineError(
    'connection_failed',
    `could not use PostgreSQL${where}: ${errorMessage(cause)}. Check that the server is running and the ` +
      'connection string (host, port, database, role, password) is right; the call can be retried.',
    { cause, details: { ...target, retryable: true } },
  )
}
