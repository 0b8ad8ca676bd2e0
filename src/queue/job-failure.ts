import { errorKind } from '../errors.js'

/**
 * What a failed job records in Redis (`failedReason`, `stacktrace`): the error's kind only. Error
 * messages may quote model output (a refusal) or transcript text, and Redis keeps failed jobs for
 * days, outside `forgetUser`'s reach in PostgreSQL; the full error goes to the worker's log at
 * debug level only.
 *
 * - FactlineError: its code, plus `details.problem` and `details.status` when present,
 *   e.g. `extraction_failed (problem: refusal)`.
 * - Other errors: the error's name and, for database and network errors, their `code`
 *   (e.g. `error (code 40001)`, `TypeError`).
 * @internal
 */
export function sanitizedFailure(error: unknown): string {
  return errorKind(error)
}

/** An error carrying only {@link sanitizedFailure}'s text, with no stack frames that name it. */
export function sanitizedError(error: unknown): Error {
  const sanitized = new Error(sanitizedFailure(error))
  sanitized.stack = `Error: ${sanitized.message}`
  return sanitized
}
