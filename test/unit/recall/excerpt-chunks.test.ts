import { describe, expect, it } from 'vitest'
import {
  DEFAULT_EXCERPT_INDEX,
  excerptEmbeddingText,
  isIndexedRole,
  questionBefore,
  questionsAnswered,
  questionsAsked,
  splitIntoChunks,
} from '../../../src/recall/excerpt-chunks.js'

const config = { maxChunkChars: 60, maxChunksPerMessage: 5 }

describe('splitIntoChunks', () => {
  it('keeps a short message whole, with whitespace collapsed', () => {
    expect(splitIntoChunks('  I moved to\n\n  Lisbon   last May. ', config)).toEqual(['I moved to Lisbon last May.'])
  })

  it('cuts after sentence ends, packing whole sentences up to the limit', () => {
    const text = 'We adopted a dog. His name is Rex. He loves the beach. My sister visited in June and stayed two weeks.'
    const chunks = splitIntoChunks(text, config)
    expect(chunks).toEqual(['We adopted a dog. His name is Rex. He loves the beach.', 'My sister visited in June and stayed two weeks.'])
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(60)
  })

  it('does not cut inside a number or an abbreviation without a following space', () => {
    expect(splitIntoChunks('It costs 3.50 now.', config)).toEqual(['It costs 3.50 now.'])
  })

  it('splits an over-long sentence at spaces, and a spaceless one mid-word', () => {
    const long = 'word '.repeat(40).trim()
    for (const c of splitIntoChunks(long, config)) expect(c.length).toBeLessThanOrEqual(60)
    const blob = 'x'.repeat(150)
    expect(splitIntoChunks(blob, config)).toEqual(['x'.repeat(60), 'x'.repeat(60), 'x'.repeat(30)])
  })

  it('keeps at most maxChunksPerMessage chunks of a huge message', () => {
    const huge = 'A sentence of some length here. '.repeat(200_000)
    const chunks = splitIntoChunks(huge, config)
    expect(chunks).toHaveLength(5)
  })

  it('returns nothing for blank text', () => {
    expect(splitIntoChunks(' \n\t ', config)).toEqual([])
  })
})

describe('isIndexedRole', () => {
  it('indexes user messages, assistant ones only when asked, and never tool output', () => {
    expect(isIndexedRole('user', DEFAULT_EXCERPT_INDEX)).toBe(true)
    expect(isIndexedRole('assistant', DEFAULT_EXCERPT_INDEX)).toBe(false)
    expect(isIndexedRole('assistant', { ...DEFAULT_EXCERPT_INDEX, assistant: true })).toBe(true)
    expect(isIndexedRole('function_call_result', { ...DEFAULT_EXCERPT_INDEX, assistant: true })).toBe(false)
  })
})

describe('the question a reply answers', () => {
  it('takes the questions of an assistant message, the last ones when there are many', () => {
    expect(questionsAsked('CFD on a rear wing is a great project. What software are you using?')).toBe('What software are you using?')
    expect(questionsAsked('Nice. Where? And since when?')).toBe('Where? And since when?')
    expect(questionsAsked('No question here. Just a remark.')).toBeUndefined()
    const many = Array.from({ length: 40 }, (_, i) => `Is it number ${i}?`).join(' ')
    const kept = questionsAsked(many)!
    expect(kept.length).toBeLessThanOrEqual(300)
    expect(kept.endsWith('Is it number 39?')).toBe(true)
  })

  it('pairs each user message with the assistant message just before it, across tool items, not across a user message', () => {
    const items = [
      { messageId: 1, role: 'assistant', text: 'Which editor do you use?' },
      { messageId: 2, role: 'user', text: 'Neovim.' },
      { messageId: 3, role: 'user', text: 'With LazyVim.' },
      { messageId: 4, role: 'assistant', text: 'Let me look. Which version?' },
      { messageId: 5, role: 'function_call_result', text: '{"ok":true}' },
      { messageId: 6, role: 'user', text: '0.10' },
    ]
    expect([...questionsAnswered(items)]).toEqual([
      [2, 'Which editor do you use?'],
      [6, 'Which version?'],
    ])
    // The message before the batch counts for its first item.
    const before = { role: 'assistant', text: 'Are you using a starter config?' }
    expect(questionsAnswered([{ messageId: 9, role: 'user', text: 'LazyVim' }], before).get(9)).toBe('Are you using a starter config?')
  })

  it('reads the question one stored message answers from the stored message before it', () => {
    const asked = JSON.stringify({ role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Nice. Which editor?' }] })
    expect(questionBefore('user', asked)).toBe('Which editor?')
    expect(questionBefore('assistant', asked)).toBeUndefined()
    expect(questionBefore(null, asked)).toBeUndefined()
    expect(questionBefore('user', JSON.stringify({ role: 'user', content: 'Which editor?' }))).toBeUndefined()
    expect(questionBefore('user', null)).toBeUndefined()
  })

  it('embeds only the first chunk with the question; the text itself is unchanged', () => {
    expect(excerptEmbeddingText({ chunk: 0, text: 'ANSYS Fluent.' }, 'What software are you using?')).toBe(
      'What software are you using?\nANSYS Fluent.',
    )
    expect(excerptEmbeddingText({ chunk: 1, text: 'More.' }, 'What software are you using?')).toBe('More.')
    expect(excerptEmbeddingText({ chunk: 0, text: 'ANSYS Fluent.' }, undefined)).toBe('ANSYS Fluent.')
  })
})
