import { sql } from 'kysely'
import { errorMessage } from '../errors.js'
import { quietLogger, type Logger } from '../logger.js'
import { connectionFailed, isConnectionError } from './connection-errors.js'
import type { FactlineDb } from './create-db.js'

/**
 * Waits until the database answers, retrying connection failures with backoff (0.25 s doubling to
 * 5 s) for up to `timeoutMs`, one log line per failed attempt. Lets a worker or app that starts
 * before PostgreSQL (a compose restart, a failover) wait instead of exiting. 0 tries once.
 * @throws FactlineError `connection_failed` when the database still does not answer.
 */
export async function waitForDatabase(
  handle: FactlineDb,
  options: { timeoutMs?: number | undefined; logger?: Logger | undefined } = {},
): Promise<void> {
  const logger = options.logger ?? quietLogger
  const deadline = Date.now() + (options.timeoutMs ?? 0)
  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5_000)) {
    try {
      await sql`select 1`.execute(handle.db)
      return
    } catch (error) {
      if (!isConnectionError(error)) throw error
      const left = deadline - Date.now()
      if (left <= 0) throw connectionFailed(error, handle.target)
      logger.warn('database not reachable yet; retrying', { attempt, retryInMs: Math.min(delay, left), ...handle.target, error: errorMessage(error) })
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)))
    }
  }
}
