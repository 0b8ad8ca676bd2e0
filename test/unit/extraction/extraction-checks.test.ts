import { describe, expect, it } from 'vitest'
import { judgeDraft, keepBatchCitations, splitByPresentSources } from '../../../src/extraction/extraction-checks.js'

const candidate = (sourceMessageIds: number[], content = 'Lives in Oslo') => ({ content, sourceMessageIds })

describe('keepBatchCitations', () => {
  it('keeps only citations of the batch, once each, and fills the defaults', () => {
    const { candidates, rejected } = keepBatchCitations([candidate([3, 99, 3, 4])], new Set([3, 4]))
    expect(rejected).toEqual([])
    expect(candidates).toEqual([
      { content: 'Lives in Oslo', kind: null, key: null, confidence: 1, replacesFactId: null, sourceMessageIds: [3, 4] },
    ])
  })

  it('refuses a candidate citing no item of the batch, and an invalid one', () => {
    const { candidates, rejected } = keepBatchCitations(
      [candidate([99]), { content: '', sourceMessageIds: [3] }, 'junk', candidate([3], 'Works at ACME')],
      new Set([3]),
    )
    expect(candidates.map((c) => c.content)).toEqual(['Works at ACME'])
    expect(rejected).toEqual([{ cited: [99] }, { cited: undefined }, { cited: undefined }])
  })
})

describe('judgeDraft', () => {
  const drafted = { userId: 'u', namespace: 'default', watermark: 10, through: 15 }
  const now = (watermark: number, userId: string | null = 'u') => ({ userId, namespace: 'default', watermark })

  it('is fresh when neither the watermark nor the owner moved', () => {
    expect(judgeDraft(drafted, now(10))).toBe('fresh')
  })

  it('is covered when another run moved the watermark past every drafted item', () => {
    expect(judgeDraft(drafted, now(15))).toBe('covered')
    expect(judgeDraft(drafted, now(20))).toBe('covered')
  })

  it('is stale when the watermark moved only part of the way, or backwards', () => {
    expect(judgeDraft(drafted, now(12))).toBe('stale')
    expect(judgeDraft(drafted, now(14))).toBe('stale')
    expect(judgeDraft(drafted, now(5))).toBe('stale')
  })

  it('is stale when the session gained a user after the draft, since the draft wrote for no one', () => {
    expect(judgeDraft({ ...drafted, userId: null }, now(10, 'u'))).toBe('stale')
    expect(judgeDraft(drafted, { ...now(10), namespace: 'other' })).toBe('stale')
  })

  it('is covered once the items are done, whoever owns the session now', () => {
    expect(judgeDraft({ ...drafted, userId: null }, now(15, 'u'))).toBe('covered')
  })
})

describe('splitByPresentSources', () => {
  it('drops a candidate citing any deleted item, even alongside present ones', () => {
    const a = candidate([1])
    const b = candidate([1, 2])
    const c = candidate([2])
    expect(splitByPresentSources([a, b, c], new Set([1]))).toEqual({ kept: [a], dropped: [b, c] })
  })

  it('keeps everything when nothing was deleted', () => {
    const all = [candidate([1]), candidate([1, 2])]
    expect(splitByPresentSources(all, new Set([1, 2]))).toEqual({ kept: all, dropped: [] })
  })
})
