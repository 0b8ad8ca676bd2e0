import { describe, expect, it } from 'vitest'
import { DEFAULT_EXCERPT_INDEX, isIndexedRole, splitIntoChunks } from '../../../src/recall/excerpt-chunks.js'

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
