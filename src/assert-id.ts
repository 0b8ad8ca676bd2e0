import { FactlineError } from './errors.js'

/**
 * Checks a caller-supplied identifier (session, user, namespace, operation id): a string, not
 * blank, well-formed UTF-16, without U+0000, at most `maxLength` characters.
 * @throws FactlineError `invalid_argument` for a non-string, an over-long id, one with U+0000 or
 * a lone surrogate; `empty_id` for a blank one.
 */
export function assertId(name: string, value: unknown, maxLength: number): asserts value is string {
  if (typeof value !== 'string') {
    throw new FactlineError('invalid_argument', `${name} must be a string, got ${value === null ? 'null' : typeof value}`)
  }
  if (value.trim().length === 0) throw new FactlineError('empty_id', `${name} must not be empty or blank`)
  // PostgreSQL text cannot hold U+0000: refuse it here rather than as a raw driver error.
  if (value.includes('\u0000')) throw new FactlineError('invalid_argument', `${name} must not contain U+0000`)
  // PostgreSQL stores a lone surrogate as U+FFFD, so 'a\uD800' and 'a\uDFFF' would name one row.
  if (!isWellFormed(value)) {
    throw new FactlineError('invalid_argument', `${name} must be well-formed UTF-16 (it holds a lone surrogate)`)
  }
  if (value.length > maxLength) {
    throw new FactlineError('invalid_argument', `${name} is ${value.length} characters; the limit is ${maxLength}`, {
      details: { name, length: value.length, limit: maxLength },
    })
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Fact ids are uuids; anything else cannot name a fact, and PostgreSQL would reject the cast. */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/** `String.prototype.isWellFormed` (Node 20+), typed here because the project's lib is ES2022. */
export function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed()
}
