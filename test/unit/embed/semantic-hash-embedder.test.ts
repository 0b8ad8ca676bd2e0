import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HashEmbedder, MAX_EMBEDDED_CHARS } from '../../../src/embed/hash-embedder.js'
import { lemmatize } from '../../../src/embed/lemmatize.js'
import { loadWordNetLexicon } from '../../../src/embed/wordnet-lexicon.js'
import { cosineSimilarity } from '../../../src/facts/reconcile.js'

const embedder = new HashEmbedder()

async function similarity(a: string, b: string): Promise<number> {
  const [va, vb] = await embedder.embed([a, b])
  return cosineSimilarity(va ?? [], vb ?? [])
}

function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((sum, x) => sum + x * x, 0))
}

describe('HashEmbedder with WordNet semantics (hash-v2-wordnet)', () => {
  it('is the default, and names its scheme and size in id', () => {
    expect(embedder.semantics).toBe(true)
    expect(embedder.id).toBe('hash-v2-wordnet-384')
    expect(new HashEmbedder({ dimensions: 1536 }).id).toBe('hash-v2-wordnet-1536')
  })

  it('gives the same vectors on every run and machine', async () => {
    // If this digest changes, the vectors changed: bump the id so databases are not mixed.
    const vectors = await embedder.embed(['Prefers TypeScript over Python', 'I live in Berlin', 'Bought an automobile', 'Loves ginger snaps', ''])
    const digest = createHash('sha256').update(new Float64Array(vectors.flat())).digest('hex')
    expect(digest).toBe('2f3bbd52d869b35051c3d7a419f976477cef7bfe0de0a3af366be1ed93efde4c')
  })

  it('does not depend on what was embedded before, or by which instance', async () => {
    const texts = ['Has two cats named Miso and Tofu', 'Works as a nurse in Leeds', 'favorite food']
    const forward = await new HashEmbedder().embed(texts)
    const backward = (await new HashEmbedder().embed([...texts].reverse())).reverse()
    expect(backward).toEqual(forward)
    expect(embedder.embedOne(texts[0] ?? '')).toEqual(forward[0])
  })

  it.each([8, 384, 1536])('produces finite unit-length vectors of %i dimensions', async (dimensions) => {
    const vectors = await new HashEmbedder({ dimensions }).embed(['Loves ginger snaps', 'über naïve café 東京 🚀', 'x'.repeat(5000), ''])
    for (const v of vectors) {
      expect(v).toHaveLength(dimensions)
      expect(norm(v)).toBeCloseTo(1, 10)
      expect(v.every(Number.isFinite)).toBe(true)
    }
  })

  it(`embeds a text longer than ${MAX_EMBEDDED_CHARS} characters from its first ${MAX_EMBEDDED_CHARS}`, async () => {
    const prefix = 'I adopted a dog and bought a car. '.repeat(Math.ceil(MAX_EMBEDDED_CHARS / 34)).slice(0, MAX_EMBEDDED_CHARS)
    const [long, exact] = await embedder.embed([`${prefix}${'automobile cats '.repeat(10_000)}`, prefix])
    expect(long).toEqual(exact)
  })

  it('maps text with no words to the same fixed vector as hash-v1', async () => {
    const [empty] = await embedder.embed([''])
    expect(empty).toEqual(await new HashEmbedder({ semantics: false }).embed(['']).then((v) => v[0]))
  })

  it('brings synonyms and broader terms closer than hash-v1 does', async () => {
    const old = new HashEmbedder({ semantics: false })
    for (const [a, b] of [
      ['car', 'automobile'],
      ['favorite food', 'Loves ginger snaps'],
      ['my physician', 'Sees a doctor named Patel'],
      ['which city do I live in', 'Resides in Chicago'],
    ] as const) {
      const [oa, ob] = await old.embed([a, b])
      const before = cosineSimilarity(oa ?? [], ob ?? [])
      const after = await similarity(a, b)
      expect(after, `${a} ~ ${b}`).toBeGreaterThan(0.05)
      expect(after, `${a} ~ ${b} against hash-v1`).toBeGreaterThan(before + 0.04)
    }
  })

  it('still ranks shared words above a mere relation', async () => {
    const exact = await similarity('Drives a Volvo', 'Drives a Volvo estate')
    const related = await similarity('Drives a Volvo', 'Owns an automobile')
    expect(exact).toBeGreaterThan(related)
    expect(await similarity('I live in Berlin', 'Lives in Berlin, Germany')).toBeGreaterThan(0.5)
  })

  it('keeps unrelated facts apart', async () => {
    for (const [a, b] of [
      ['I prefer TypeScript for new projects', 'My dog is called Rex'],
      ['We deploy to Hetzner in eu-central', 'I am allergic to peanuts'],
      ['Plays the cello in an orchestra', 'Was diagnosed with diabetes'],
    ] as const) {
      expect(await similarity(a, b), `${a} vs ${b}`).toBeLessThan(0.25)
    }
  })

  it('merges irregular inflections through lemmas', async () => {
    expect(await similarity('ran a marathon', 'runs marathons')).toBeGreaterThan(0.6)
    expect(await similarity('children', 'child')).toBeGreaterThan(0.3)
  })

  it('can embed synchronously before any embed() call', () => {
    const v = new HashEmbedder({ dimensions: 64 }).embedOne('Bought an automobile')
    expect(norm(v)).toBeCloseTo(1, 10)
  })

  it('honours an aborted signal', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expect(new HashEmbedder().embed(['hello'], controller.signal)).rejects.toThrow('stop')
  })
})

describe('lemmatize', () => {
  it.each([
    ['cats', 'n', 'cat'],
    ['running', 'v', 'run'],
    ['ran', 'v', 'run'],
    ['bought', 'v', 'buy'],
    ['children', 'n', 'child'],
    ['studies', 'v', 'study'],
    ['happier', 'a', 'happy'],
    ['churches', 'n', 'church'],
    ['automobile', 'n', 'automobile'],
  ] as const)('finds %s → %s:%s', async (word, pos, lemma) => {
    const lemmas = lemmatize(await loadWordNetLexicon(), word)
    expect(lemmas).toContainEqual({ lemma, pos })
  })

  it('finds nothing for a word WordNet does not know', async () => {
    expect(lemmatize(await loadWordNetLexicon(), 'xqzzyv')).toEqual([])
  })
})
