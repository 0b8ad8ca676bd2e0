import { describe, expect, it } from 'vitest'
import { RRF_K } from '../../../src/recall/recall-query.js'
import { fuseRankings, recencyFactor } from '../../helpers/fuse-rankings.js'

describe('fuseRankings', () => {
  it('scores 1 for first in both lists and sums reciprocal ranks otherwise', () => {
    const fused = fuseRankings({
      vector: [{ id: 'a', similarity: 0.9 }, { id: 'b', similarity: 0.8 }],
      text: [{ id: 'b' }, { id: 'c' }],
    })
    const byId = Object.fromEntries(fused.map((f) => [f.id, f]))
    const best = 2 / (RRF_K + 1)
    expect(byId.a).toMatchObject({ vectorRank: 1, textRank: null, similarity: 0.9 })
    expect(byId.a?.fused).toBeCloseTo(1 / (RRF_K + 1) / best)
    expect(byId.b?.fused).toBeCloseTo((1 / (RRF_K + 2) + 1 / (RRF_K + 1)) / best)
    expect(byId.c).toMatchObject({ similarity: null, vectorRank: null, textRank: 2 })
    expect(fuseRankings({ vector: [{ id: 'x', similarity: 1 }], text: [{ id: 'x' }] })[0]?.fused).toBe(1)
  })

  it('lets agreement between the two rankings beat a single first place', () => {
    const fused = fuseRankings({
      vector: [{ id: 'lookalike', similarity: 0.95 }, { id: 'keyword', similarity: 0.5 }],
      text: [{ id: 'keyword' }],
    })
    const sorted = [...fused].sort((a, b) => b.fused - a.fused)
    expect(sorted.map((f) => f.id)).toEqual(['keyword', 'lookalike'])
  })
})

describe('recencyFactor', () => {
  it('is 1 today, loses at most `weight`, and halves the bonus every half-life', () => {
    expect(recencyFactor(0, 90, 0.1)).toBe(1)
    expect(recencyFactor(90, 90, 0.1)).toBeCloseTo(0.95)
    expect(recencyFactor(1e6, 90, 0.1)).toBeCloseTo(0.9)
    expect(recencyFactor(-5, 90, 0.1)).toBe(1)
    expect(recencyFactor(400, 90, 0)).toBe(1)
  })
})
