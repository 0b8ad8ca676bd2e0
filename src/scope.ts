import { z } from 'zod'
import { assertId } from './assert-id.js'
import { assertNotReservedUserId } from './tenant.js'

/** Namespace used when a call names none: sessions, facts, recall and the CLI share it. */
export const DEFAULT_NAMESPACE = 'default'

/** Longest user id accepted, in characters (the same limit as session ids). */
export const MAX_USER_ID_LENGTH = 512

/** Longest namespace accepted, in characters. */
export const MAX_NAMESPACE_LENGTH = 256

/** Validates who a call is about; the namespace defaults to `DEFAULT_NAMESPACE`. */
export const ScopeSchema = z.object({
  /** Owner of the facts; any non-blank string up to 512 characters. */
  userId: z.string().max(MAX_USER_ID_LENGTH),
  /** @defaultValue 'default' */
  namespace: z.string().max(MAX_NAMESPACE_LENGTH).default(DEFAULT_NAMESPACE),
})

/** The `(userId, namespace)` pair every fact read and write is confined to. */
export type Scope = z.output<typeof ScopeSchema>

/** Who a call is about, as callers write it: the namespace may be left out. */
export type ScopeInput = z.input<typeof ScopeSchema>

/** @throws FactlineError `empty_id` when the user id or namespace is blank. */
export function assertScope(scope: Scope): void {
  assertUserId(scope.userId)
  assertId('namespace', scope.namespace, MAX_NAMESPACE_LENGTH)
}

/**
 * @throws FactlineError `empty_id` for a blank user id, `invalid_argument` for a non-string, an
 * over-long one, or one starting with U+0001 (reserved for sessions without a user).
 */
export function assertUserId(userId: unknown, name = 'userId'): asserts userId is string {
  assertId(name, userId, MAX_USER_ID_LENGTH)
  assertNotReservedUserId(name, userId)
}
