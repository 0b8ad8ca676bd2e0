import type OpenAI from 'openai'
import { z } from 'zod'
import { DEFAULT_EMBEDDING_DIMENSIONS, MAX_EMBEDDING_DIMENSIONS } from '../db/embedding-dimensions.js'
import { errorMessage, FactlineError, parseOrThrow } from '../errors.js'
import { clientOrApiKeySchemas, createOpenAIClient } from '../openai/client.js'
import { errorStatus, requestOptions, requestOrGiveUp } from '../openai/request.js'
import type { Embedder } from './embedder.js'

/** The OpenAI embedding model used when none is configured. */
export const DEFAULT_OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small'

const commonOptions = {
  /** @defaultValue `'text-embedding-3-small'` */
  model: z.string().min(1).default(DEFAULT_OPENAI_EMBEDDING_MODEL),
  /**
   * Length of every vector; must match the database's embedding column.
   * @defaultValue 1536
   */
  dimensions: z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS).default(DEFAULT_EMBEDDING_DIMENSIONS),
  /**
   * Whether to send `dimensions` to the API, which shortens text-embedding-3 vectors. Older
   * models and many OpenAI-compatible servers reject the parameter.
   * @defaultValue true for `text-embedding-3*` models, false otherwise
   */
  requestDimensions: z.boolean().optional(),
  /**
   * Most texts sent in one request; longer lists are split and sent one batch after another.
   * The API accepts at most 2048.
   * @defaultValue 256
   */
  batchSize: z.number().int().min(1).max(2048).default(256),
  /**
   * Retries per batch on 408/409/429/5xx responses and connection errors, by the `openai` client itself
   * (exponential backoff with jitter, honouring `retry-after`). Other errors fail at once.
   * @defaultValue 4
   */
  maxRetries: z.number().int().min(0).max(20).default(4),
  /** @defaultValue 60000 — per-request timeout; a timeout counts as a connection error and is retried. */
  timeoutMs: z.number().int().positive().default(60_000),
}

const { withClient: WithClientSchema, withApiKey: WithApiKeySchema, either } = clientOrApiKeySchemas(
  (value) => typeof (value as { embeddings?: { create?: unknown } } | null)?.embeddings?.create === 'function',
  commonOptions,
)

/** Options for {@link OpenAIEmbedder}: an OpenAI `client`, or `apiKey` (and `baseURL`) to build one — never both. */
export const OpenAIEmbedderOptionsSchema = either
// The `never` fields make TypeScript reject `{ client, apiKey }`, as the schema does at runtime.
export type OpenAIEmbedderOptions =
  | (z.input<typeof WithClientSchema> & { apiKey?: never; baseURL?: never })
  | (z.input<typeof WithApiKeySchema> & { client?: never })
export type OpenAIEmbedderConfig = z.output<typeof OpenAIEmbedderOptionsSchema>

/**
 * Embeds texts with the OpenAI embeddings API (or any compatible server).
 *
 * Inputs are sent in batches of `batchSize`, one after another, and vectors come back in input
 * order. Each batch is retried on rate limits, server errors and connection errors with
 * exponential backoff and jitter; the `openai` client's own retries are switched off so the two
 * don't multiply. Empty strings are sent as a single space, because the API rejects empty input.
 *
 * @example
 * const embedder = new OpenAIEmbedder({ client: new OpenAI() })
 * const [vector] = await embedder.embed(['Prefers TypeScript over Python'])
 */
export class OpenAIEmbedder implements Embedder {
  /** `openai:<model>:<dimensions>`. */
  readonly id: string
  readonly model: string
  readonly dimensions: number
  readonly #client: OpenAI
  readonly #config: OpenAIEmbedderConfig
  readonly #requestDimensions: boolean

  /** @throws FactlineError `invalid_config` for unknown options, or `client` given with `apiKey`/`baseURL`. */
  constructor(options: OpenAIEmbedderOptions) {
    // The union alone would report both branches' issues; say plainly what is wrong instead.
    const given = typeof options === 'object' && options !== null ? options : {}
    if ('client' in given && ('apiKey' in given || 'baseURL' in given)) {
      throw new FactlineError(
        'invalid_config',
        'Invalid OpenAIEmbedder options: pass either `client` or `apiKey` (with an optional `baseURL`), not both',
      )
    }
    const config = parseOrThrow(OpenAIEmbedderOptionsSchema, options, 'invalid_config', 'Invalid OpenAIEmbedder options')
    this.#config = config
    this.model = config.model
    this.dimensions = config.dimensions
    this.id = `openai:${config.model}:${config.dimensions}`
    this.#requestDimensions = config.requestDimensions ?? config.model.startsWith('text-embedding-3')
    this.#client = 'client' in config ? config.client : createOpenAIClient(config)
  }

  /**
   * One vector per text, in input order; `[]` without a request when `texts` is empty.
   * @throws FactlineError `embedding_failed` when a batch still fails after retries (the last
   * error is the `cause`), or `dimension_mismatch` when the API returns vectors of another length.
   * An abort, during a request or a backoff wait, rejects with `signal.reason` unwrapped.
   */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const vectors: number[][] = []
    for (let start = 0; start < texts.length; start += this.#config.batchSize) {
      const batch = texts.slice(start, start + this.#config.batchSize)
      vectors.push(...(await this.#embedBatch(batch, signal)))
    }
    return vectors
  }

  async #embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const data = await this.#request(signal, () =>
      this.#client.embeddings.create(
        {
          model: this.model,
          input: texts.map((text) => (text === '' ? ' ' : text)),
          ...(this.#requestDimensions ? { dimensions: this.dimensions } : {}),
        },
        requestOptions(this.#config.maxRetries, this.#config.timeoutMs, signal),
      ),
    )
    if (data.data.length !== texts.length) {
      throw new FactlineError(
        'embedding_failed',
        `${this.model} returned ${data.data.length} embeddings for ${texts.length} inputs`,
        { details: { model: this.model, expected: texts.length, received: data.data.length } },
      )
    }
    const ordered = [...data.data].sort((a, b) => a.index - b.index)
    return ordered.map(({ embedding }) => {
      if (embedding.length !== this.dimensions) {
        throw new FactlineError(
          'dimension_mismatch',
          `${this.model} returned ${embedding.length}-dim vectors but the embedder is configured for ` +
            `${this.dimensions}; set \`dimensions\` to ${embedding.length}, or use a model that accepts the ` +
            '`dimensions` parameter',
          { details: { model: this.model, expected: this.dimensions, received: embedding.length } },
        )
      }
      return embedding
    })
  }

  #request<T>(signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T> {
    return requestOrGiveUp(signal, request, (error) =>
      new FactlineError(
        'embedding_failed',
        `Embedding with ${this.model} failed (after up to ${this.#config.maxRetries} retries): ${errorMessage(error)}`,
        { cause: error, details: { model: this.model, maxRetries: this.#config.maxRetries, status: errorStatus(error) } },
      ),
    )
  }
}

/** Builds an {@link OpenAIEmbedder}; see there for options and behaviour. */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): OpenAIEmbedder {
  return new OpenAIEmbedder(options)
}
