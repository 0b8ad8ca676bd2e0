import OpenAI from 'openai'

/** The HTTP status of an OpenAI API error, or undefined for anything else. */
export function errorStatus(error: unknown): number | undefined {
  return error instanceof OpenAI.APIError ? error.status : undefined
}

/**
 * The per-request options that let the `openai` client do its own retrying: `maxRetries` retries on
 * 408/409/429/5xx and connection errors (timeouts included), with exponential backoff and jitter,
 * honouring the server's `retry-after` / `retry-after-ms`; the backoff wait ends on `signal`.
 */
export function requestOptions(maxRetries: number, timeoutMs: number, signal: AbortSignal | undefined) {
  return { maxRetries, timeout: timeoutMs, signal: signal ?? null }
}

/**
 * Runs one request; when it fails (after the client's retries), an abort rejects with
 * `signal.reason` unwrapped, and anything else with what `giveUp(error)` returns.
 */
export async function requestOrGiveUp<T>(signal: AbortSignal | undefined, request: () => Promise<T>, giveUp: (error: unknown) => Error): Promise<T> {
  try {
    return await request()
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    throw giveUp(error)
  }
}
