import { FactlineError } from './errors.js'

/**
 * Checks a caller-supplied identifier (session, user, namespace, operation id): a string, not
 * blank, at most `maxLength` characters.
 * @throws FactlineError `invalid_argument` for a non-string or an over-long id, `empty_id` for a blank one.
 */
export function assertId(name: string, value: unknown, maxLength: number): asserts value is string {
  if (typeof value !== 'string') {
    throw new FactlineError('invalid_argument', `${name} must be a string, got ${value === null ? 'null' : typeof value}`)
  }
  if (value.trim().length === 0) throw new FactlineError('empty_id', `${name} must not be empty or blank`)
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
