/** A mistake in how a command was called: exit code 2, and the message names the argument. */
export class UsageError extends Error {}

/** Largest integer flag accepted: what PostgreSQL's `integer` holds, far past any real limit. */
const MAX_INTEGER_FLAG = 2 ** 31 - 1

/** Parses an integer flag, or returns undefined when it was not given. @throws UsageError naming the flag. */
export function integerFlag(flag: string, value: string | undefined, min = 1, max = MAX_INTEGER_FLAG): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${value}`)
  }
  return n
}
