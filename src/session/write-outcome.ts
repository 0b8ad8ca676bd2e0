import { types } from 'node:util'
import { FactlineError } from '../errors.js'

/** Options of `addItems`. */
export interface AddItemsOptions {
  /** Makes a retried write a no-op: the same key with the same items is stored once. Up to 512 characters. */
  idempotencyKey?: string | undefined
}

/** Reads `options.idempotencyKey` without running a getter. */
export function readIdempotencyKey(options: unknown): unknown {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null || types.isProxy(options)) {
    throw new FactlineError('invalid_argument', 'addItems options must be an object like { idempotencyKey }')
  }
  const descriptor = Object.getOwnPropertyDescriptor(options, 'idempotencyKey')
  if (descriptor && !('value' in descriptor)) {
    throw new FactlineError('invalid_argument', 'addItems options.idempotencyKey must be a plain value, not a getter')
  }
  return descriptor?.value
}

/**
 * The connection dropped after a write was sent: it may or may not have committed. Retryable;
 * a retry is safe with the same `idempotencyKey` (or history transaction operation id).
 */
export function outcomeUnknown(sessionId: string, cause: unknown): FactlineError {
  return new FactlineError(
    'connection_failed',
    `the connection to the database was lost while writing to session ${JSON.stringify(sessionId)}; the write may or ` +
      'may not have been stored. Retry it with the same idempotencyKey (or operation id) to store it exactly once',
    { cause, details: { sessionId, outcome: 'unknown', retryable: true } },
  )
}

