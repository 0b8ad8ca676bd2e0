/** A mistake in how a command was called: exit code 2, and the message names the argument. */
export class UsageError extends Error {}

/** Parses an integer flag, or returns undefined when it was not given. @throws UsageError naming the flag. */
export function integerFlag(flag: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${value}`)
  return n
}
