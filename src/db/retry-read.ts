import { connectionFailed, isConnectionError } from './connection-errors.js'

/** Pause before the one retry: long enough for pg to drop the broken client, short enough to go unnoticed. */
const RETRY_PAUSE_MS = 100

/**
 * Runs a read that is safe to repeat and, if it fails because its connection was lost (server
 * restart, `pg_terminate_backend`, network cut), runs it once more on a fresh connection. A read
 * changes nothing, so repeating it cannot duplicate anything; writes never go through here, since
 * a lost commit's outcome is unknown. A second connection failure, or a failed retry, surfaces as
 * `connection_failed`; any other error is passed on untouched.
 * @throws FactlineError `connection_failed` when the retry fails to connect as well.
 */
export async function retryRead<T>(read: () => Promise<T>, target: Readonly<Record<string, string>> = {}): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if (!isConnectionError(error)) throw error
  }
  await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS))
  try {
    return await read()
  } catch (error) {
    if (isConnectionError(error)) throw connectionFailed(error, target)
    throw error
  }
}
