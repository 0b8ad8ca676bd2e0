import { describe, expect, it } from 'vitest'
import { buildContextBlock, withContextBlock } from '../../../src/context/context-block.js'
import { estimateTokens } from '../../../src/estimate-tokens.js'

const fact = (id: string, content: string, day = '2026-03-01') => ({ id, content, validFrom: new Date(`${day}T12:00:00Z`) })

describe('buildContextBlock', () => {
  it('lists each fact with its id and date under a heading', () => {
    const block = buildContextBlock([fact('f-1', 'Lives in Berlin'), fact('f-2', 'Prefers  TypeScript\nover Python', '2026-04-02')])
    expect(block).toContain('## What you know about this user')
    expect(block).toContain('- [f-1 · 2026-03-01] Lives in Berlin')
    expect(block).toContain('- [f-2 · 2026-04-02] Prefers TypeScript over Python')
  })

  it('is empty when there are no facts', () => {
    expect(buildContextBlock([])).toBe('')
  })

  it('keeps the most relevant facts that fit the token budget, in order', () => {
    const facts = Array.from({ length: 50 }, (_, i) => fact(`f-${i}`, `Fact number ${i} with some words in it`))
    const block = buildContextBlock(facts, { maxTokens: 120 })
    expect(estimateTokens(block)).toBeLessThanOrEqual(120)
    expect(block).toContain('f-0 ')
    const shown = block.split('\n').filter((l) => l.startsWith('- ['))
    expect(shown.length).toBeGreaterThan(0)
    expect(shown.length).toBeLessThan(50)
    expect(shown.map((l) => /^- \[(\S+)/.exec(l)?.[1])).toEqual(facts.slice(0, shown.length).map((f) => f.id))
  })

  it('is empty when not even one fact fits', () => {
    expect(buildContextBlock([fact('f-1', 'x'.repeat(500))], { maxTokens: 60 })).toBe('')
  })

  it('rejects a bad budget with invalid_config', () => {
    expect(() => buildContextBlock([], { maxTokens: 0 })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })

  it('counts tokens with the estimator it is given', () => {
    const facts = Array.from({ length: 10 }, (_, i) => fact(`f-${i}`, `Fact ${i}`))
    // Ten "tokens" per line: the heading and its explanation take 20, leaving three lines for facts.
    const perLine = (text: string) => 10 * text.split('\n').filter((l) => l.length > 0).length
    const block = buildContextBlock(facts, { maxTokens: 50, estimateTokens: perLine })
    expect(block.split('\n').filter((l) => l.startsWith('- ['))).toEqual([
      '- [f-0 · 2026-03-01] Fact 0',
      '- [f-1 · 2026-03-01] Fact 1',
      '- [f-2 · 2026-03-01] Fact 2',
    ])
  })

  it('rejects an estimator that returns a negative or non-finite number with invalid_argument', () => {
    for (const estimateTokens of [() => -1, () => Number.NaN]) {
      expect(() => buildContextBlock([fact('f-1', 'x')], { estimateTokens })).toThrow(expect.objectContaining({ code: 'invalid_argument' }))
    }
    expect(() => buildContextBlock([], { estimateTokens: 'chars' as never })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })
})

describe('withContextBlock', () => {
  it('leaves instructions exactly as given when the block is empty', () => {
    expect(withContextBlock('Be brief.', '')).toBe('Be brief.')
    expect(withContextBlock(undefined, '')).toBeUndefined()
  })
  it('appends the block after the base instructions', () => {
    expect(withContextBlock('Be brief.', '## Block')).toBe('Be brief.\n\n## Block')
    expect(withContextBlock('', '## Block')).toBe('## Block')
  })
})
