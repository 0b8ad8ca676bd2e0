import { describe, expect, it } from 'vitest'
import { DEFAULT_JOB_ATTEMPTS, MAX_RETRY_DELAY_MS, retryDelay } from '../../../src/queue/retry-backoff.js'

describe('retryDelay', () => {
  it('doubles from the first delay and never waits more than 5 s between attempts', () => {
    expect([1, 2, 3, 4, 5, 14].map((n) => retryDelay(n, 1_000))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000])
    expect(retryDelay(3, 100)).toBe(400)
    expect(retryDelay(1_000, 1_000)).toBe(MAX_RETRY_DELAY_MS)
  })

  it('keeps a first delay above the cap as it is', () => {
    expect(retryDelay(4, 8_000)).toBe(8_000)
  })

  it('spreads the default attempts over more than a minute, outlasting a typical restart', () => {
    let total = 0
    for (let attempt = 1; attempt < DEFAULT_JOB_ATTEMPTS; attempt++) total += retryDelay(attempt, 1_000)
    expect(total).toBeGreaterThanOrEqual(60_000)
  })
})
