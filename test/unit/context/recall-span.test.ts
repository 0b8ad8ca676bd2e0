import { describe, expect, it } from 'vitest'
import { buildContextBlock, layoutContextBlock } from '../../../src/context/context-block.js'
import {
  recallSpanData,
  resolveRecallTrace,
  startRecallSpan,
  type TracedExcerpt,
  type TracedFact,
} from '../../../src/context/recall-span.js'
import { estimateTokens } from '../../../src/estimate-tokens.js'
import { TracingOptionsSchema } from '../../../src/trace-options.js'

const tracing = TracingOptionsSchema.parse({})
const defaults = resolveRecallTrace(tracing, {})
const at = new Date('2026-03-01T12:00:00Z')
const fact = (i: number): TracedFact => ({
  id: `f-${i}`,
  content: `Secret fact number ${i} with some words in it`,
  validFrom: at,
  score: 1 / (i + 1),
  similarity: i % 2 ? null : 0.5,
  sources: [{ sessionId: 'chat-1', messageId: 10 + i, at }],
})
const excerpt: TracedExcerpt = {
  id: '77',
  text: 'Secret excerpt',
  at,
  sessionId: 'chat-0',
  score: 0.3,
  similarity: 0.41,
  sources: [{ sessionId: 'chat-0', messageId: 77, at }],
}

describe('layoutContextBlock', () => {
  it('builds the same block as buildContextBlock and counts what fit', () => {
    const facts = Array.from({ length: 30 }, (_, i) => fact(i))
    const layout = layoutContextBlock({ facts, excerpts: [excerpt] }, { maxTokens: 400 })
    expect(layout.text).toBe(buildContextBlock({ facts, excerpts: [excerpt] }, { maxTokens: 400 }))
    expect(layout.facts).toBeGreaterThan(0)
    expect(layout.facts).toBeLessThan(30)
    expect(layout.facts).toBe(layout.text.split('\n').filter((l) => l.startsWith('- [f-')).length)
    expect(layout.tokens).toBe(estimateTokens(layout.text))
  })

  it('counts nothing for an empty block', () => {
    expect(layoutContextBlock([])).toEqual({ text: '', facts: 0, excerpts: 0, tokens: 0 })
  })
})

describe('recallSpanData', () => {
  const facts = Array.from({ length: 30 }, (_, i) => fact(i))
  const layout = layoutContextBlock({ facts, excerpts: [excerpt] }, { maxTokens: 400 })
  const input = { config: defaults, userId: 'ada@example.com', namespace: 'default', sessionId: 'chat-2', query: 'secret question', facts, excerpts: [excerpt], layout, maxTokens: 400 }

  it('lists the injected items with score parts and sources, and the ones the budget left out', () => {
    const data = recallSpanData(input)
    const injected = data.injected as Array<Record<string, unknown>>
    const leftOut = data.leftOutByBudget as Array<Record<string, unknown>>
    expect(injected.filter((i) => i.type === 'fact').map((i) => i.id)).toEqual(facts.slice(0, layout.facts).map((f) => f.id))
    expect(leftOut.filter((i) => i.type === 'fact').map((i) => i.id)).toEqual(facts.slice(layout.facts).map((f) => f.id))
    expect(injected.length + leftOut.length).toBe(31)
    expect(injected[0]).toEqual({
      type: 'fact',
      id: 'f-0',
      score: 1,
      similarity: 0.5,
      validFrom: at.toISOString(),
      sources: [{ sessionId: 'chat-1', messageId: 10, at: at.toISOString() }],
    })
    expect([...injected, ...leftOut].find((i) => i.type === 'excerpt')).toEqual({
      type: 'excerpt',
      id: '77',
      score: 0.3,
      similarity: 0.41,
      sources: [{ sessionId: 'chat-0', messageId: 77, at: at.toISOString() }],
    })
    expect(data).toMatchObject({ namespace: 'default', sessionId: 'chat-2', blockTokens: layout.tokens, maxTokens: 400, queryChars: 15 })
  })

  it('holds no text and no raw user id by default', () => {
    const json = JSON.stringify(recallSpanData(input))
    expect(json).not.toMatch(/[Ss]ecret/)
    expect(json).not.toContain('ada@example.com')
    expect(recallSpanData(input).userIdHash).toMatch(/^sha256:[0-9a-f]{32}$/)
  })

  it("adds the query and each item's text with traceContent 'full', and the user as configured", () => {
    const full = recallSpanData({ ...input, config: { ...defaults, traceContent: 'full', traceUserId: 'raw' } })
    expect(full.query).toBe('secret question')
    expect((full.injected as Array<Record<string, unknown>>)[0]!.text).toBe(facts[0]!.content)
    expect(full.userId).toBe('ada@example.com')
    const omitted = recallSpanData({ ...input, config: { ...defaults, traceUserId: 'omit' } })
    expect(Object.keys(omitted)).not.toContain('userId')
    expect(Object.keys(omitted)).not.toContain('userIdHash')
  })
})

describe('recall trace options', () => {
  it('default to a recall span with ids only and a hashed user, and no extraction traces', () => {
    expect(tracing).toEqual({ recall: true, extraction: false, content: 'ids', userId: 'hash' })
    expect(defaults).toEqual({ trace: true, traceContent: 'ids', traceUserId: 'hash' })
  })

  it("let a call override the memory's tracing config, ignoring what it leaves undefined", () => {
    expect(resolveRecallTrace(tracing, { traceContent: 'full', trace: undefined })).toEqual({ ...defaults, traceContent: 'full' })
  })

  it('reject an unknown value with invalid_argument', () => {
    expect(() => resolveRecallTrace(tracing, { traceUserId: 'email' as 'raw' })).toThrow(expect.objectContaining({ code: 'invalid_argument' }))
  })

  it('start no span outside a trace, or when turned off', async () => {
    expect(await startRecallSpan(defaults)).toBeUndefined()
    expect(await startRecallSpan({ ...defaults, trace: false })).toBeUndefined()
  })
})
