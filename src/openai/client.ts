import OpenAI from 'openai'

/**
 * An OpenAI client built from explicit settings only. Organization and project are null, not
 * undefined, because the client would otherwise read `OPENAI_*` env vars itself; library code
 * takes values, and env is read in one place (`configFromEnv`). Its own retries are off: callers
 * retry with `withRetries`, so the two don't multiply.
 */
export function createOpenAIClient(options: { apiKey: string; baseURL?: string | undefined }): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? null,
    organization: null,
    project: null,
    maxRetries: 0,
  })
}
