import { describe, expect, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { rankRelatedWords, relatedWordsCases } from '../../helpers/related-words.js'

// Measured on this table: hash-v1 ranks 23 of 60 related facts first, mostly by hash collisions
// among near-zero scores; hash-v2-wordnet ranks 48 first (bench/embedder.ts prints both).
const MIN_SEMANTIC_HITS = 48

describe('synonym and hypernym retrieval table', () => {
  it('holds at least 50 cases of realistic chat, each with three distractors', () => {
    expect(relatedWordsCases.length).toBeGreaterThanOrEqual(50)
    for (const c of relatedWordsCases) expect(c.distractors).toHaveLength(3)
  })

  it('ranks the related fact first far more often with WordNet semantics than without', async () => {
    const before = await rankRelatedWords(new HashEmbedder({ semantics: false }))
    const after = await rankRelatedWords(new HashEmbedder())
    const count = (hits: boolean[]) => hits.filter(Boolean).length
    const gained = after.filter((hit, i) => hit && !before[i]).length
    const lost = after.filter((hit, i) => !hit && before[i]).length
    expect(count(after)).toBeGreaterThanOrEqual(MIN_SEMANTIC_HITS)
    expect(gained - lost).toBeGreaterThanOrEqual(20)
  })

  it.each([
    ['car', 'Bought an automobile last month'],
    ['favorite food', 'Loves ginger snaps'],
    ['my physician', 'Sees a doctor named Patel'],
    ['kids', 'Has two children at primary school'],
    ['what vehicle do I own', 'Owns a truck'],
    ['which beverage do I prefer', 'Drinks green tea every morning'],
  ])('finds %j → %j among its distractors at 384 and 1536 dimensions', async (query, related) => {
    const c = relatedWordsCases.find((x) => x.query === query && x.related === related)
    expect(c).toBeDefined()
    for (const dimensions of [384, 1536]) {
      expect(await rankRelatedWords(new HashEmbedder({ dimensions }), [c!])).toEqual([true])
    }
  })
})
