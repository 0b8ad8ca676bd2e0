import OpenAI from 'openai'
import { beforeAll, describe, expect, it } from 'vitest'
import { useOpenAIServer } from '../../helpers/openai-server.js'

const server = useOpenAIServer()
let client: OpenAI

beforeAll(() => {
  client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 })
})

const responseFormat = {
  type: 'json_schema',
  json_schema: {
    name: 'facts',
    strict: true,
    schema: { type: 'object', properties: { facts: { type: 'array', items: { type: 'string' } } }, required: ['facts'], additionalProperties: false },
  },
} as const

describe('startOpenAIServer', () => {
  it('replays a queued chat completion with structured-output content and records the request', async () => {
    server.enqueueChatCompletion({ facts: ['Prefers TypeScript'] })
    const completion = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'I prefer TypeScript' }],
      response_format: responseFormat,
    })
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ facts: ['Prefers TypeScript'] })
    expect(server.requestsTo('chat/completions').at(-1)?.body).toMatchObject({ model: 'gpt-4.1-mini', response_format: responseFormat })
  })

  it('replays refusals and error statuses as the openai client expects them', async () => {
    server.enqueueChatCompletion('', { refusal: 'I cannot help with that' })
    const refused = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
    expect(refused.choices[0]?.message).toMatchObject({ content: null, refusal: 'I cannot help with that' })

    server.enqueueError('chat/completions', 429)
    await expect(client.chat.completions.create({ model: 'm', messages: [] })).rejects.toBeInstanceOf(OpenAI.RateLimitError)
  })

  it('fails loudly when no chat completion is queued', async () => {
    await expect(client.chat.completions.create({ model: 'm', messages: [] })).rejects.toMatchObject({
      status: 400,
      code: 'no_recorded_response',
    })
  })

  it('fakes deterministic embeddings of the requested dimension when none is queued', async () => {
    const a = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'world'], dimensions: 16 })
    const b = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hello'], dimensions: 16 })
    expect(a.data.map((d) => d.embedding.length)).toEqual([16, 16])
    expect(b.data[0]?.embedding).toEqual(a.data[0]?.embedding)
  })
})
