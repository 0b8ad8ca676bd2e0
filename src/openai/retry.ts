import OpenAI from 'openai'

/** How transient OpenAI failures are retried; the option fields of the OpenAI embedder and extractor. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number
  /** First backoff; doubles per retry, randomised to 50–100%. */
  retryBaseDelayMs: number
  /** Cap on one backoff, also applied to a server's `retry-after`. */
  retryMaxDelayMs: number
}

/**
 * Runs `request`, retrying 408/409/429/5xx responses and connection errors (timeouts included)
 * with exponential backoff and jitter. When a failure is permanent or retries run out, throws
 * what `giveUp(error, attempts)` returns. An abort, during a request or a backoff wait, rejects
 * with `signal.reason` unwrapped.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  request: () => Promise<T>,
  giveUp: (error: unknown, attempts: number) => Error,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request()
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      if (!isRetryable(error) || attempt >= policy.maxRetries) throw giveUp(error, attempt + 1)
      await sleep(backoffMs(policy, attempt, error), signal)
    }
  }
}

/** The HTTP status of an OpenAI API error, or undefined for anything else. */
export function errorStatus(error: unknown): number | undefined {
  return error instanceof OpenAI.APIError ? error.status : undefined
}

function isRetryable(error: unknown): boolean {
  // Timeouts are connection errors in the openai client.
  if (error instanceof OpenAI.APIConnectionError) return true
  if (!(error instanceof OpenAI.APIError) || error.status === undefined) return false
  return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500
}

function backoffMs(policy: RetryPolicy, attempt: number, error: unknown): number {
  const { retryBaseDelayMs, retryMaxDelayMs } = policy
  const exponential = Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** attempt)
  // Half fixed, half random: spreads concurrent workers apart without ever retrying instantly.
  const jittered = exponential * (0.5 + Math.random() * 0.5)
  const retryAfter = error instanceof OpenAI.APIError ? retryAfterMs(error.headers) : undefined
  return retryAfter === undefined ? jittered : Math.min(retryMaxDelayMs, Math.max(jittered, retryAfter))
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '')
  if (Number.isFinite(ms) && ms >= 0) return ms
  const seconds = Number.parseFloat(headers?.get('retry-after') ?? '')
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  return undefined
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
