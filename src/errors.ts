import { z } from 'zod'

/** Stable machine-readable reasons a factline call can fail. Branch on these, not on messages. */
export type FactlineErrorCode =
  | 'invalid_config'
  | 'invalid_argument'
  | 'invalid_item'
  | 'empty_id'
  | 'content_too_large'
  | 'dimension_mismatch'
  | 'unknown_user'
  | 'not_found'
  | 'migration_required'
  | 'extraction_failed'
  | 'embedding_failed'
  | 'queue_unavailable'
  | 'session_conflict'
  | 'timeout'
  | 'connection_failed'
  | 'data_dir_locked'

export type FactlineErrorOptions = { details?: Record<string, unknown>; cause?: unknown }

/**
 * The one error class factline throws for problems the caller can act on.
 * `code` is stable; `message` says what was wrong and what to do; `details` carries data
 * such as zod issues.
 */
export class FactlineError extends Error {
  readonly code: FactlineErrorCode
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: FactlineErrorCode, message: string, opts: FactlineErrorOptions = {}) {
    super(message, { cause: opts.cause })
    this.name = new.target.name
    this.code = code
    this.details = opts.details ?? {}
  }
}

/** True when `error` is a FactlineError, optionally with the given code. */
export function isFactlineError(error: unknown, code?: FactlineErrorCode): error is FactlineError {
  return error instanceof FactlineError && (code === undefined || error.code === code)
}

/**
 * Parses `input` with `schema`, turning a ZodError into a FactlineError with `code`,
 * a readable message prefixed by `what`, and the zod issues in `details.issues`.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: FactlineErrorCode,
  what: string,
): z.output<S> {
  const result = (() => {
    try {
      return schema.safeParse(input)
    } catch {
      // A caller's getter or proxy threw while zod read it; its message may hold anything, so it stays out.
      throw new FactlineError(code, `${what}: the input could not be read (a getter or proxy threw)`)
    }
  })()
  if (result.success) return result.data
  throw new FactlineError(code, `${what}: ${z.prettifyError(result.error)}`, {
    details: { issues: result.error.issues },
    cause: result.error,
  })
}

/** The message of any thrown value: what logs and wrapped errors show. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Any thrown value as an `Error` (a thrown string or object becomes the message). */
export function coerceError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/**
 * An error's kind without its message, for records and logs that outlive the data they could
 * quote (messages may hold model output or transcript text): a FactlineError's code plus its
 * `details.problem` / `details.status`, e.g. `extraction_failed (problem: refusal)`; otherwise the
 * error's name and, for database and network errors, their `code`, e.g. `error (code 40001)`.
 */
export function errorKind(error: unknown): string {
  if (isFactlineError(error)) {
    const { problem, status } = error.details as { problem?: unknown; status?: unknown }
    const extra = [
      typeof problem === 'string' && /^[a-z_]{1,40}$/.test(problem) ? `problem: ${problem}` : null,
      typeof status === 'number' ? `status: ${status}` : null,
    ].filter((part) => part !== null)
    return extra.length > 0 ? `${error.code} (${extra.join(', ')})` : error.code
  }
  const name = error instanceof Error && /^[A-Za-z]{1,40}$/.test(error.name) ? error.name : 'Error'
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[A-Z0-9_]{1,20}$/i.test(code) ? `${name} (code ${code})` : name
}
