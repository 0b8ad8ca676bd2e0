import { z } from 'zod'
import { FactlineError } from './errors.js'

/** Characters per token assumed by `estimateTokens`: OpenAI's rule of thumb for English (and JSON). */
export const CHARS_PER_TOKEN = 4

/** Counts the tokens of a text. Pass a real tokenizer's count where a budget has to be tight. */
export type TokenEstimator = (text: string) => number

/** Validates a caller's `TokenEstimator` option. */
export const TokenEstimatorSchema = z.custom<TokenEstimator>((v) => typeof v === 'function', 'expected a function (text) => number')

/**
 * The default token count: the text's length divided by 4, rounded up. Good enough for budgeting
 * (off by about ±25% for English), not for billing.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN)
}

/**
 * Runs a caller's estimator and checks its answer, so a broken one fails loudly instead of
 * silently lifting a budget (`NaN > limit` is false).
 * @throws FactlineError `invalid_argument` unless the count is a non-negative finite number.
 */
export function countTokens<T>(
  estimate: (value: T) => number,
  value: T,
  what: string,
  details: Record<string, unknown> = {},
): number {
  const tokens = estimate(value)
  if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens < 0) {
    throw new FactlineError(
      'invalid_argument',
      `estimateTokens returned ${String(tokens)} for ${what}; it must return a non-negative finite number`,
      { details },
    )
  }
  return tokens
}
