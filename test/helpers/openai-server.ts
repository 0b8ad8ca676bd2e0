import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { HashEmbedder } from '../../src/embed/hash-embedder.js'

/** Endpoints the server answers, as paths after `/v1/`. */
export type OpenAIRoute = 'embeddings' | 'chat/completions' | 'responses'

const ROUTES: readonly OpenAIRoute[] = ['embeddings', 'chat/completions', 'responses']

/** One request the server received, body parsed as JSON. */
export interface RecordedRequest {
  route: OpenAIRoute | null
  method: string
  path: string
  /** Lower-case header names, as Node delivers them. */
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

/** A reply to play back: an HTTP response, or a dropped connection (the client sees a connection error). */
export type RecordedResponse =
  | { status?: number; body: unknown; headers?: Record<string, string>; delayMs?: number }
  | { disconnect: true }

/** A reply, or a function building one from the request (e.g. to echo its input count). */
export type Reply = RecordedResponse | ((request: RecordedRequest) => RecordedResponse | Promise<RecordedResponse>)

/** Options for {@link startOpenAIServer}. */
export interface OpenAIServerOptions {
  /** Replies for requests that find nothing queued on their route (instead of the defaults below). */
  fallback?: Partial<Record<OpenAIRoute, Reply>>
}

/** Options for an OpenAI-style error reply. */
export interface ErrorReplyOptions {
  message?: string
  type?: string
  code?: string | null
  headers?: Record<string, string>
}

/** A local server speaking the OpenAI HTTP API, so tests run the real `openai` client code. */
export interface OpenAIServer {
  /** Pass to `new OpenAI({ apiKey: 'test', baseURL })`; ends in `/v1`. */
  baseURL: string
  /** Every request received, in arrival order. */
  requests: RecordedRequest[]
  /** Requests received on one route. */
  requestsTo(route: OpenAIRoute): RecordedRequest[]
  /** Queues replies for a route; each request takes the oldest one. */
  enqueue(route: OpenAIRoute, ...replies: Reply[]): void
  /** Queues an OpenAI-style error body with `status` (e.g. 429, 500). */
  enqueueError(route: OpenAIRoute, status: number, options?: ErrorReplyOptions): void
  /** Queues a chat completion whose message content is `content` (objects are JSON-encoded). */
  enqueueChatCompletion(content: string | object, options?: ChatCompletionOptions): void
  /** Queues an embeddings response carrying exactly these vectors. */
  enqueueEmbeddings(vectors: readonly (readonly number[])[], model?: string): void
  /** Replies still queued for a route; tests can assert they were all consumed. */
  pending(route: OpenAIRoute): number
  close(): Promise<void>
}

/** Options for {@link chatCompletionBody}. */
export interface ChatCompletionOptions {
  model?: string
  finishReason?: 'stop' | 'length' | 'content_filter' | 'tool_calls'
  /** Makes the model refuse: `content` becomes null and `refusal` carries this text. */
  refusal?: string
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T
}

type ChatCompletionBody = {
  choices: { message: { content: string | null; refusal: string | null }; finish_reason: string }[]
  model: string
}
type EmbeddingsBody = {
  data: { object: 'embedding'; index: number; embedding: number[] | string }[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}

/** A real-shaped chat completion (from `fixtures/chat-completion-response.json`) with the given content. */
export function chatCompletionBody(content: string | object, options: ChatCompletionOptions = {}): unknown {
  const body = fixture<ChatCompletionBody>('chat-completion-response.json')
  const choice = body.choices[0]
  if (choice === undefined) throw new Error('chat completion fixture has no choice')
  choice.message.content = options.refusal === undefined ? (typeof content === 'string' ? content : JSON.stringify(content)) : null
  choice.message.refusal = options.refusal ?? null
  choice.finish_reason = options.finishReason ?? 'stop'
  if (options.model !== undefined) body.model = options.model
  return body
}

/** A real-shaped embeddings response (from `fixtures/embeddings-response.json`) with these vectors. */
export function embeddingsBody(vectors: readonly (readonly number[])[], model = 'text-embedding-3-small'): unknown {
  const body = fixture<EmbeddingsBody>('embeddings-response.json')
  body.data = vectors.map((embedding, index) => ({ object: 'embedding', index, embedding: [...embedding] }))
  body.model = model
  body.usage = { prompt_tokens: vectors.length * 4, total_tokens: vectors.length * 4 }
  return body
}

/** An OpenAI-style error body, as the API sends with 4xx/5xx statuses. */
export function errorBody(status: number, options: ErrorReplyOptions = {}): unknown {
  if (options.message === undefined && options.type === undefined && options.code === undefined) {
    if (status === 429) return fixture('rate-limit-error.json')
    if (status >= 500) return fixture('server-error.json')
  }
  return {
    error: {
      message: options.message ?? `Request failed with status ${status}`,
      type: options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: options.code ?? null,
    },
  }
}

/**
 * Starts the server on a free local port.
 *
 * Queued replies are played back in order per route. With nothing queued:
 * - `embeddings` answers with a FAKE but deterministic embedding per input: the hashing
 *   embedder's vector at the requested `dimensions` (1536 when absent). Good enough for recall
 *   tests; tests about the OpenAI embedder itself should queue explicit replies.
 * - other routes answer 400 `no_recorded_response`, so a missing recording fails loudly instead
 *   of being retried.
 * Like the real API, embeddings are sent base64-encoded (float32, little-endian) when the request
 * asks for `encoding_format: 'base64'`, which the `openai` client does by default.
 */
export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = []
  const queues = new Map<OpenAIRoute, Reply[]>(ROUTES.map((route) => [route, []]))

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(500, { message: String(error) }))
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req)
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = ROUTES.find((r) => path === `/v1/${r}`) ?? null
    const request: RecordedRequest = { route, method: req.method ?? 'GET', path, headers: { ...req.headers }, body: parseJson(raw) }
    requests.push(request)

    if (route === null || request.method !== 'POST') {
      sendJson(res, 404, errorBody(404, { message: `Unknown endpoint ${request.method} ${path}` }))
      return
    }
    const next = queues.get(route)?.shift() ?? options.fallback?.[route]
    const reply = typeof next === 'function' ? await next(request) : next ?? defaultReply(route, request)
    if ('disconnect' in reply) {
      req.socket.destroy()
      return
    }
    if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
    const body = route === 'embeddings' ? encodeEmbeddings(reply.body, request.body) : reply.body
    sendJson(res, reply.status ?? 200, body, reply.headers)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    requestsTo: (route) => requests.filter((r) => r.route === route),
    enqueue: (route, ...replies) => void queues.get(route)?.push(...replies),
    // A 1 ms retry-after keeps the openai client's own retries (0.5 s and up by default) fast in tests.
    enqueueError: (route, status, options = {}) =>
      void queues.get(route)?.push({ status, body: errorBody(status, options), headers: { 'retry-after-ms': '1', ...options.headers } }),
    enqueueChatCompletion: (content, options) =>
      void queues.get('chat/completions')?.push({ body: chatCompletionBody(content, options) }),
    enqueueEmbeddings: (vectors, model) => void queues.get('embeddings')?.push({ body: embeddingsBody(vectors, model) }),
    pending: (route) => queues.get(route)?.length ?? 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

function defaultReply(route: OpenAIRoute, request: RecordedRequest): RecordedResponse {
  if (route === 'embeddings') {
    const body = (request.body ?? {}) as { input?: unknown; dimensions?: unknown; model?: unknown }
    const inputs = Array.isArray(body.input) ? body.input : [body.input]
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 1536
    const embedder = new HashEmbedder({ dimensions, semantics: false })
    const model = typeof body.model === 'string' ? body.model : undefined
    return { body: embeddingsBody(inputs.map((input) => embedder.embedOne(String(input))), model) }
  }
  return {
    status: 400,
    body: errorBody(400, { message: `No recorded response queued for POST /v1/${route}`, code: 'no_recorded_response' }),
  }
}

function encodeEmbeddings(body: unknown, requestBody: unknown): unknown {
  const wantsBase64 = (requestBody as { encoding_format?: unknown } | null)?.encoding_format === 'base64'
  const data = (body as { data?: unknown } | null)?.data
  if (!wantsBase64 || !Array.isArray(data)) return body
  return {
    ...(body as object),
    data: data.map((item: { embedding?: unknown }) =>
      Array.isArray(item.embedding)
        ? { ...item, embedding: Buffer.from(Float32Array.from(item.embedding as number[]).buffer).toString('base64') }
        : item,
    ),
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_test_${Date.now().toString(36)}`,
    ...headers,
  })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(raw: string): unknown {
  if (raw === '') return null
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/**
 * Starts the server for the enclosing suite (beforeAll, closed in afterAll) and empties its
 * `requests` before each test. The server returned forwards to the one started in beforeAll.
 */
export function useOpenAIServer(): OpenAIServer {
  let started: OpenAIServer | undefined
  beforeAll(async () => {
    started = await startOpenAIServer()
  })
  afterAll(async () => {
    await started?.close()
  })
  beforeEach(() => {
    if (started) started.requests.length = 0
  })
  const live = () => {
    if (started === undefined) throw new Error('useOpenAIServer() is read before its beforeAll ran: read it inside a test or hook')
    return started
  }
  return {
    get baseURL() {
      return live().baseURL
    },
    get requests() {
      return live().requests
    },
    requestsTo: (route) => live().requestsTo(route),
    enqueue: (route, ...replies) => live().enqueue(route, ...replies),
    enqueueError: (route, status, options) => live().enqueueError(route, status, options),
    enqueueChatCompletion: (content, options) => live().enqueueChatCompletion(content, options),
    enqueueEmbeddings: (vectors, model) => live().enqueueEmbeddings(vectors, model),
    pending: (route) => live().pending(route),
    close: () => live().close(),
  }
}
