import { NlpExtractor } from '../../src/extractors/nlp/nlp-extractor.js'
import type { ExtractionItem } from '../../src/extractors/extractor.js'
import { chatCompletionBody, startOpenAIServer, type OpenAIServer, type RecordedRequest } from './openai-server.js'

/** What the agent's model says to every turn. */
export const MODEL_SERVER_REPLY = 'Noted.'

/**
 * A local OpenAI-compatible server that answers every request, for code that needs "a model" but
 * not a particular one (README snippets): the Responses API replies `MODEL_SERVER_REPLY`, an
 * extraction request is answered by the offline NlpExtractor reading the prompt's transcript, and
 * embeddings are hashed. Point `OPENAI_BASE_URL` at `baseURL`, with any `OPENAI_API_KEY`.
 */
export function startModelServer(): Promise<OpenAIServer> {
  const extractor = new NlpExtractor()
  return startOpenAIServer({
    fallback: {
      responses: (request) => ({ body: responseBody(request) }),
      'chat/completions': async (request) => {
        const candidates = await extractor.extract({ userId: 'u', namespace: 'default', items: transcriptItems(request), existingFacts: [] })
        const facts = candidates.map((c) => ({
          content: c.content,
          kind: c.kind,
          key: c.key,
          source_item_ids: c.sourceMessageIds,
          confidence: c.confidence,
          replaces_fact_id: null,
        }))
        return { body: chatCompletionBody({ facts }) }
      },
    },
  })
}

/** The `[id N] role: text` lines between the extraction prompt's <transcript> tags. */
function transcriptItems(request: RecordedRequest): ExtractionItem[] {
  const messages = (request.body as { messages?: Array<{ content?: unknown }> } | null)?.messages ?? []
  const prompt = messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n')
  const transcript = /<transcript>\n([\s\S]*?)\n<\/transcript>/.exec(prompt)?.[1] ?? ''
  const items: ExtractionItem[] = []
  for (const line of transcript.split('\n')) {
    const match = /^\[id (\d+)\] ([^:]+): (.*)$/.exec(line)
    if (match) items.push({ messageId: Number(match[1]), sessionId: 's', role: match[2]!, text: match[3]! })
    else if (line.startsWith('    ') && items.length > 0) items[items.length - 1]!.text += `\n${line.slice(4)}`
  }
  return items
}

function responseBody(request: RecordedRequest): unknown {
  const model = (request.body as { model?: unknown } | null)?.model
  const id = `resp_${Date.now().toString(36)}`
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    model: typeof model === 'string' ? model : 'gpt-test',
    status: 'completed',
    output: [
      {
        type: 'message',
        id: `msg_${id}`,
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: MODEL_SERVER_REPLY, annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 1,
      output_tokens: 1,
      total_tokens: 2,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    },
  }
}
