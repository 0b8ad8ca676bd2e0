import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { FactlineError } from '../../../src/errors.js'
import { OpenAIEmbedder, createOpenAIEmbedder } from '../../../src/embed/openai-embedder.js'
import type { OpenAIEmbedderOptions } from '../../../src/embed/openai-embedder.js'
import { useOpenAIServer } from '../../helpers/openai-server.js'
import { waitFor } from '../../helpers/wait-for.js'

type EmbeddingsRequest = { model: string; input: string[]; dimensions?: number; encoding_format?: string }

const server = useOpenAIServer()

/** The test server's errors carry a 1 ms retry-after, so the client's own retries don't wait. */
function embedder(options: Partial<Extract<OpenAIEmbedderOptions, { apiKey: string }>> = {}): OpenAIEmbedder {
  return new OpenAIEmbedder({ apiKey: 'test', baseURL: server.baseURL, ...options })
}

function embeddingRequests(): EmbeddingsRequest[] {
  return server.requestsTo('embeddings').map((r) => r.body as EmbeddingsRequest)
}

function vector(dimensions: number, seed: number): number[] {
  return Array.from({ length: dimensions }, (_, i) => ((seed * 31 + i) % 17) / 16 - 0.5)
}

describe('OpenAIEmbedder', () => {
  it('sends model and dimensions and returns the API vectors', async () => {
    server.enqueueEmbeddings([vector(8, 1), vector(8, 2)])
    const e = embedder({ dimensions: 8 })
    const vectors = await e.embed(['first', 'second'])

    expect(e.id).toBe('openai:text-embedding-3-small:8')
    expect(vectors).toHaveLength(2)
    // float32 on the wire (base64), so compare at float32 precision
    vectors.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(vector(8, i + 1)[j] ?? NaN, 6)))
    expect(embeddingRequests()).toEqual([
      { model: 'text-embedding-3-small', input: ['first', 'second'], dimensions: 8, encoding_format: 'base64' },
    ])
    expect(server.requests[0]?.headers.authorization).toBe('Bearer test')
  })

  it('defaults to text-embedding-3-small at 1536 dimensions', async () => {
    const e = embedder()
    const [v] = await e.embed(['hello'])
    expect(e.model).toBe('text-embedding-3-small')
    expect(e.dimensions).toBe(1536)
    expect(v).toHaveLength(1536)
    expect(embeddingRequests()[0]).toMatchObject({ model: 'text-embedding-3-small', dimensions: 1536 })
  })

  it('omits dimensions for models that do not support it, unless asked', async () => {
    await embedder({ model: 'text-embedding-ada-002', dimensions: 1536 }).embed(['a'])
    await embedder({ model: 'nomic-embed-text', dimensions: 16, requestDimensions: true }).embed(['b'])
    const [ada, nomic] = embeddingRequests()
    expect(ada).not.toHaveProperty('dimensions')
    expect(nomic).toMatchObject({ model: 'nomic-embed-text', dimensions: 16 })
  })

  it('splits long input lists into batches and keeps input order', async () => {
    const texts = Array.from({ length: 600 }, (_, i) => `fact number ${i}`)
    // Each batch answers with vectors whose first component encodes the input's number.
    const reply = (request: { body: unknown }) => {
      const { input } = request.body as EmbeddingsRequest
      return {
        body: {
          object: 'list',
          model: 'text-embedding-3-small',
          usage: { prompt_tokens: 1, total_tokens: 1 },
          // Reversed, as index order is what counts.
          data: input
            .map((text, index) => ({ object: 'embedding', index, embedding: [Number(text.split(' ')[2]), 0, 0, 0, 0, 0, 0, 0] }))
            .reverse(),
        },
      }
    }
    server.enqueue('embeddings', reply, reply, reply)

    const vectors = await embedder({ dimensions: 8 }).embed(texts)

    expect(embeddingRequests().map((r) => r.input.length)).toEqual([256, 256, 88])
    expect(embeddingRequests().flatMap((r) => r.input)).toEqual(texts)
    expect(vectors.map((v) => v[0])).toEqual(texts.map((_, i) => i))
  })

  it('respects a custom batchSize', async () => {
    await embedder({ dimensions: 8, batchSize: 2 }).embed(['a', 'b', 'c', 'd', 'e'])
    expect(embeddingRequests().map((r) => r.input)).toEqual([['a', 'b'], ['c', 'd'], ['e']])
  })

  it('returns [] for no texts without calling the API', async () => {
    await expect(embedder().embed([])).resolves.toEqual([])
    expect(server.requests).toHaveLength(0)
  })

  it('sends empty strings as a single space, which the API accepts', async () => {
    const vectors = await embedder({ dimensions: 8 }).embed(['', 'x'])
    expect(vectors).toHaveLength(2)
    expect(embeddingRequests()[0]?.input).toEqual([' ', 'x'])
  })

  it('retries on 429 and then succeeds', async () => {
    server.enqueueError('embeddings', 429)
    server.enqueueEmbeddings([vector(8, 3)])
    const [v] = await embedder({ dimensions: 8 }).embed(['rate limited'])
    expect(v?.[0]).toBeCloseTo(vector(8, 3)[0] ?? NaN, 6)
    expect(embeddingRequests()).toHaveLength(2)
    expect(server.pending('embeddings')).toBe(0)
  })

  it('retries on 500 and 503 and then succeeds', async () => {
    server.enqueueError('embeddings', 500)
    server.enqueueError('embeddings', 503)
    server.enqueueEmbeddings([vector(8, 4)])
    await expect(embedder({ dimensions: 8 }).embed(['flaky'])).resolves.toHaveLength(1)
    expect(embeddingRequests()).toHaveLength(3)
  })

  it('retries on a dropped connection', async () => {
    server.enqueue('embeddings', { disconnect: true })
    server.enqueueEmbeddings([vector(8, 5)])
    await expect(embedder({ dimensions: 8 }).embed(['dropped'])).resolves.toHaveLength(1)
    expect(embeddingRequests()).toHaveLength(2)
  })

  it("retries an injected client's requests maxRetries times, not by the client's own default", async () => {
    // The client's default is 2 retries; the embedder's maxRetries applies per request.
    const client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL })
    server.enqueueError('embeddings', 429)
    server.enqueueError('embeddings', 429)
    const e = new OpenAIEmbedder({ client, dimensions: 8, maxRetries: 1 })
    await expect(e.embed(['x'])).rejects.toMatchObject({ code: 'embedding_failed' })
    expect(embeddingRequests()).toHaveLength(2)
  })

  it('gives up after maxRetries with embedding_failed and the last error as cause', async () => {
    for (let i = 0; i < 3; i++) server.enqueueError('embeddings', 500)
    const error = await embedder({ dimensions: 8, maxRetries: 2 })
      .embed(['down'])
      .catch((e: unknown) => e)

    expect(error).toBeInstanceOf(FactlineError)
    expect(error).toMatchObject({ code: 'embedding_failed', details: { maxRetries: 2, status: 500 } })
    expect((error as FactlineError).cause).toBeInstanceOf(OpenAI.InternalServerError)
    expect(embeddingRequests()).toHaveLength(3)
  })

  it('does not retry client errors such as 400 or 401', async () => {
    server.enqueueError('embeddings', 400, { message: "'$.input' is invalid." })
    await expect(embedder({ dimensions: 8 }).embed(['bad'])).rejects.toMatchObject({
      code: 'embedding_failed',
      details: { status: 400 },
    })
    server.enqueueError('embeddings', 401, { message: 'Incorrect API key provided', code: 'invalid_api_key' })
    await expect(embedder({ dimensions: 8 }).embed(['bad'])).rejects.toMatchObject({
      code: 'embedding_failed',
      message: expect.stringContaining('Incorrect API key provided'),
    })
    expect(embeddingRequests()).toHaveLength(2)
  })

  it('waits at least retry-after-ms when the server asks', async () => {
    server.enqueueError('embeddings', 429, { headers: { 'retry-after-ms': '40' } })
    server.enqueueEmbeddings([vector(8, 6)])
    const started = Date.now()
    await embedder({ dimensions: 8 }).embed(['slow down'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(35)
  })

  it('rejects vectors of the wrong length with dimension_mismatch, without retrying', async () => {
    server.enqueueEmbeddings([vector(12, 1)])
    await expect(embedder({ dimensions: 8 }).embed(['x'])).rejects.toMatchObject({
      code: 'dimension_mismatch',
      details: { expected: 8, received: 12 },
      message: expect.stringContaining('12-dim'),
    })
    expect(embeddingRequests()).toHaveLength(1)
  })

  it('rejects a response with the wrong number of embeddings', async () => {
    server.enqueueEmbeddings([vector(8, 1)])
    await expect(embedder({ dimensions: 8 }).embed(['a', 'b'])).rejects.toMatchObject({ code: 'embedding_failed' })
  })

  it('passes the abort signal through and rejects with its reason', async () => {
    server.enqueue('embeddings', { body: {}, delayMs: 1000 })
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    const pending = embedder({ dimensions: 8 }).embed(['slow'], controller.signal)
    // Abort once the server holds the request, so it cannot land in the next test's requests.
    await waitFor(async () => embeddingRequests().length > 0, 'the request to reach the server')
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
  })

  it('stops waiting between retries when aborted', async () => {
    server.enqueueError('embeddings', 429, { headers: { 'retry-after-ms': '10000' } })
    const controller = new AbortController()
    const pending = embedder({ dimensions: 8 }).embed(['x'], controller.signal)
    // The first attempt has had its 429: the client now waits out a 10 s backoff.
    await waitFor(async () => embeddingRequests().length > 0, 'the first attempt to reach the server')
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(embeddingRequests()).toHaveLength(1)
  })

  it('uses an injected client and its baseURL', async () => {
    const client = new OpenAI({ apiKey: 'injected', baseURL: server.baseURL })
    const e = createOpenAIEmbedder({ client, dimensions: 8 })
    await expect(e.embed(['a'])).resolves.toHaveLength(1)
    expect(server.requests[0]?.headers.authorization).toBe('Bearer injected')
  })

  it('rejects client together with apiKey or baseURL with invalid_config', () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL })
    // @ts-expect-error a client and connection settings are mutually exclusive
    expect(() => new OpenAIEmbedder({ client, apiKey: 'sk-test' })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('not both') }),
    )
    // @ts-expect-error a client and connection settings are mutually exclusive
    expect(() => new OpenAIEmbedder({ client, baseURL: server.baseURL })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    )
  })

  it('rejects missing credentials, unknown options and bad values with invalid_config', () => {
    // @ts-expect-error neither client nor apiKey
    expect(() => new OpenAIEmbedder({})).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('`client`') }),
    )
    // @ts-expect-error misspelt option
    expect(() => new OpenAIEmbedder({ apiKey: 'k', dimension: 8 })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    expect(() => new OpenAIEmbedder({ apiKey: 'k', batchSize: 0 })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    expect(() => new OpenAIEmbedder({ apiKey: 'k', baseURL: 'not a url' })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    expect(() => new OpenAIEmbedder({ apiKey: '' })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })
})
