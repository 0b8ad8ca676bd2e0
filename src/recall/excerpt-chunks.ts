import { z } from 'zod'

/** How transcript messages are cut into indexed excerpts. */
export const ExcerptIndexOptionsSchema = z.strictObject({
  /** Index transcript messages at all (user messages, and assistant ones when `assistant`). @defaultValue true */
  enabled: z.boolean().default(true),
  /** Also index the assistant's messages (tool output is never indexed). @defaultValue false */
  assistant: z.boolean().default(false),
  /** Longest chunk, in characters; a longer message is split at sentence ends. @defaultValue 600 */
  maxChunkChars: z.number().int().min(50).max(8_000).default(600),
  /** Chunks kept per message; the rest of a very long message is not indexed. @defaultValue 16 */
  maxChunksPerMessage: z.number().int().min(1).max(200).default(16),
})
export type ExcerptIndexOptions = z.input<typeof ExcerptIndexOptionsSchema>
export type ExcerptIndexConfig = z.output<typeof ExcerptIndexOptionsSchema>

/** What a processor given no excerpt options does: index user messages. */
export const DEFAULT_EXCERPT_INDEX: ExcerptIndexConfig = ExcerptIndexOptionsSchema.parse({})

/** Which item roles (from `itemText`) the index takes. */
export function isIndexedRole(role: string, config: ExcerptIndexConfig): boolean {
  return role === 'user' || (config.assistant && role === 'assistant')
}

const SENTENCE_END = new Set(['.', '!', '?', '…', '\n'])

/**
 * Splits a message into chunks of at most `maxChunkChars`, cutting after sentence ends (or line
 * breaks) where it can, at a space where a sentence is too long, and mid-word only when there is
 * no space at all. Whitespace runs become one space. Linear in the text: the input is cut to what
 * `maxChunksPerMessage` chunks can hold before anything else runs, and every step moves forward.
 */
export function splitIntoChunks(text: string, config: Pick<ExcerptIndexConfig, 'maxChunkChars' | 'maxChunksPerMessage'>): string[] {
  const { maxChunkChars: max, maxChunksPerMessage: maxChunks } = config
  const bounded = text.length > max * maxChunks * 2 ? text.slice(0, max * maxChunks * 2) : text
  const chunks: string[] = []
  let current = ''
  const push = (piece: string) => {
    const trimmed = piece.trim()
    if (trimmed && chunks.length < maxChunks) chunks.push(trimmed)
  }
  for (const sentence of sentences(bounded)) {
    if (chunks.length >= maxChunks) break
    const joined = current ? `${current} ${sentence}` : sentence
    if (joined.length <= max) {
      current = joined
      continue
    }
    push(current)
    current = ''
    let rest = sentence
    while (rest.length > max && chunks.length < maxChunks) {
      const space = rest.lastIndexOf(' ', max)
      const cut = space > max / 2 ? space : max
      push(rest.slice(0, cut))
      rest = rest.slice(cut).trimStart()
    }
    current = rest
  }
  push(current)
  return chunks
}

/** The text's sentences, whitespace collapsed, each ending after its terminator. */
function* sentences(text: string): Generator<string> {
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (!SENTENCE_END.has(ch)) continue
    const next = text[i + 1]
    if (ch !== '\n' && next !== undefined && !/\s/.test(next)) continue
    const sentence = text.slice(start, i + 1).replace(/\s+/g, ' ').trim()
    if (sentence) yield sentence
    start = i + 1
  }
  const tail = text.slice(start).replace(/\s+/g, ' ').trim()
  if (tail) yield tail
}
