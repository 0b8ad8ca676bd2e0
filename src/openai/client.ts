import { z } from 'zod'
import OpenAI from 'openai'

/**
 * An OpenAI client built from explicit settings only. Organization and project are null, not
 * undefined, because the client would otherwise read `OPENAI_*` env vars itself; library code
 * takes values, and env is read in one place (`configFromEnv`). Retries are set per request
 * (`maxRetries` of the embedder and extractor), so an injected client retries the same way.
 */
export function createOpenAIClient(options: { apiKey: string; baseURL?: string | undefined }): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? null,
    organization: null,
    project: null,
  })
}

/**
 * The options shape every OpenAI-backed part takes: your `client`, or `apiKey` (and `baseURL`) to
 * build one — never both (as the Agents SDK rejects `apiKey` with `openAIClient`). `isClient` is a
 * duck-typed check, so a client from another copy of `openai` still works.
 */
export function clientOrApiKeySchemas<Shape extends z.ZodRawShape>(isClient: (value: unknown) => boolean, shape: Shape) {
  const withClient = z.strictObject({
    /** A client you own; factline never closes it and sets `maxRetries` per request. */
    client: z.custom<OpenAI>(isClient, 'expected an OpenAI client instance'),
    ...shape,
  })
  const withApiKey = z.strictObject({
    apiKey: z.string().min(1),
    /** Any OpenAI-compatible endpoint, e.g. from `OPENAI_BASE_URL`. @defaultValue the OpenAI API */
    baseURL: z.url().optional(),
    ...shape,
  })
  const either = z.union([withClient, withApiKey], {
    error: 'expected `client` (an OpenAI instance) or `apiKey` (with an optional `baseURL`)',
  })
  return { withClient, withApiKey, either }
}
