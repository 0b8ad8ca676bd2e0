import { z } from 'zod'
import { decodeItem } from '../session/item-codec.js'
import { itemText } from '../session/item-text.js'

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

/** The longest question context an excerpt is embedded with: a reply needs its question, not a speech. */
const MAX_QUESTION_CHARS = 300

/**
 * The questions an assistant message asks (its sentences ending in "?", the last ones first kept,
 * at most `MAX_QUESTION_CHARS`), or undefined when it asks none. A user's next message is often
 * only an answer ("ANSYS Fluent.", "Yes, in Didsbury"): its first chunk is embedded together with
 * the question it answers, so a later "Which CFD software does Diego use?" finds it. The question
 * only shapes the vector; the excerpt's text, shown and quoted, stays the user's own words.
 */
export function questionsAsked(assistantText: string): string | undefined {
  const asked: string[] = []
  let length = 0
  const all = [...sentences(assistantText.slice(-MAX_QUESTION_CHARS * 4))].filter((s) => s.endsWith('?'))
  for (let i = all.length - 1; i >= 0; i--) {
    const question = all[i]!
    if (length + question.length > MAX_QUESTION_CHARS) break
    asked.unshift(question)
    length += question.length + 1
  }
  return asked.length > 0 ? asked.join(' ') : undefined
}

/** What a chunk is embedded from: the first chunk of a reply also carries the question it answers. */
export function excerptEmbeddingText(chunk: { chunk: number; text: string }, question: string | undefined): string {
  return question !== undefined && chunk.chunk === 0 ? `${question}\n${chunk.text}` : chunk.text
}

/**
 * For each user message of `items` (in transcript order), the questions of the assistant message
 * just before it (`before` is the message preceding the first item, when known). Other items
 * (tool calls and their output) between the two do not break the pair; a user message does.
 */
export function questionsAnswered(
  items: ReadonlyArray<{ messageId: number; role: string; text: string }>,
  before?: { role: string; text: string } | undefined,
): Map<number, string> {
  const answered = new Map<number, string>()
  let lastMessage = before
  for (const item of items) {
    if (item.role === 'user' && lastMessage?.role === 'assistant') {
      const question = questionsAsked(lastMessage.text)
      if (question !== undefined) answered.set(item.messageId, question)
    }
    if (item.role === 'user' || item.role === 'assistant') lastMessage = item
  }
  return answered
}

/**
 * `questionsAnswered` for one stored message read on its own (reindex, search): its role, and the
 * stored JSON of the user or assistant message before it (`previousMessageData`), or null.
 */
export function questionBefore(role: string | null, previousData: string | null): string | undefined {
  if (role !== 'user' || previousData === null) return undefined
  const previous = itemText(decodeItem(previousData))
  return previous.role === 'assistant' ? questionsAsked(previous.text) : undefined
}
