import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DEFAULT_HASH_DIMENSIONS, HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { Embedder } from '../../../src/embed/embedder.js'
import { cosineSimilarity } from '../../../src/facts/reconcile.js'

function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((sum, x) => sum + x * x, 0))
}

const embedder = new HashEmbedder({ semantics: false })

async function similarity(a: string, b: string): Promise<number> {
  const [va, vb] = await embedder.embed([a, b])
  return cosineSimilarity(va ?? [], vb ?? [])
}

describe('HashEmbedder with semantics: false (hash-v1)', () => {
  it('defaults to 384 dimensions and names its scheme and size in id', () => {
    expect(DEFAULT_HASH_DIMENSIONS).toBe(384)
    expect(embedder.dimensions).toBe(384)
    expect(embedder.id).toBe('hash-v1-384')
    expect(new HashEmbedder({ dimensions: 64, semantics: false }).id).toBe('hash-v1-64')
  })

  it('gives the same vectors, bit for bit, as hash-v1 always did', async () => {
    // Digest of the vectors the embedder produced before WordNet semantics existed: databases
    // embedded with hash-v1 keep matching their stored vectors.
    const vectors = await embedder.embed(['Prefers TypeScript over Python', 'I live in Berlin', 'deploying databases', ''])
    const digest = createHash('sha256').update(new Float64Array(vectors.flat())).digest('hex')
    expect(digest).toBe('afb9d10903765c6f08d9d496fc2fa2b859e81e937249218cec6baf51e29647bf')
  })

  it('satisfies the Embedder port', () => {
    const port: Embedder = embedder
    expect(typeof port.embed).toBe('function')
  })

  it('returns the same vector for the same text, across instances', async () => {
    const text = 'The deploy target is Hetzner eu-central'
    const [a] = await embedder.embed([text])
    const [b] = await new HashEmbedder({ semantics: false }).embed([text])
    expect(a).toEqual(b)
  })

  it('returns one vector per text, in input order', async () => {
    const texts = ['likes tea', 'deploys on Fridays', 'likes tea']
    const vectors = await embedder.embed(texts)
    expect(vectors).toHaveLength(3)
    expect(vectors[0]).toEqual(vectors[2])
    expect(vectors[0]).toEqual(embedder.embedOne('likes tea'))
    expect(vectors[1]).toEqual(embedder.embedOne('deploys on Fridays'))
  })

  it('returns [] for no texts', async () => {
    await expect(embedder.embed([])).resolves.toEqual([])
  })

  it.each([8, 16, 384, 1536])('produces unit-length vectors of %i dimensions', async (dimensions) => {
    const e = new HashEmbedder({ dimensions, semantics: false })
    const vectors = await e.embed(['Prefers TypeScript over Python', 'a', 'über naïve café 東京 🚀', 'x'.repeat(5000)])
    for (const v of vectors) {
      expect(v).toHaveLength(dimensions)
      expect(norm(v)).toBeCloseTo(1, 10)
      expect(v.every(Number.isFinite)).toBe(true)
    }
  })

  it('maps text with no words to one fixed unit vector, never a zero vector or NaN', async () => {
    const [empty, punctuation, spaces, word] = await embedder.embed(['', '?!… --', '   \n\t', 'coffee'])
    for (const v of [empty, punctuation, spaces]) {
      expect(v?.every(Number.isFinite)).toBe(true)
      expect(norm(v ?? [])).toBeCloseTo(1, 10)
    }
    expect(punctuation).toEqual(empty)
    expect(spaces).toEqual(empty)
    expect(Math.abs(cosineSimilarity(empty ?? [], word ?? []))).toBeLessThan(0.5)
  })

  it('gives a stopword-only text a real vector of its own', async () => {
    const [a, b] = await embedder.embed(['it is what it is', 'to be or not to be'])
    expect(norm(a ?? [])).toBeCloseTo(1, 10)
    expect(a).not.toEqual(b)
  })

  it('ignores case, punctuation, Unicode width and extra whitespace', async () => {
    const base = embedder.embedOne('deploy target is hetzner eu central')
    for (const variant of [
      'Deploy target is Hetzner, eu-central!',
      'DEPLOY TARGET IS HETZNER EU CENTRAL',
      '  deploy   target\tis hetzner (eu/central).  ',
      'ｄｅｐｌｏｙ target is Hetzner eu-central', // full-width letters, folded by NFKC
    ]) {
      expect(cosineSimilarity(embedder.embedOne(variant), base)).toBeCloseTo(1, 10)
    }
  })

  it('scores reordered words as highly similar', async () => {
    expect(await similarity('prefers TypeScript over Python', 'over Python, TypeScript is preferred')).toBeGreaterThan(0.7)
  })

  it('merges common inflections', async () => {
    expect(await similarity('likes hiking', 'liked hikes')).toBeGreaterThan(0.9)
    expect(await similarity('deploying databases', 'deployed database')).toBeGreaterThan(0.9)
  })

  it('scores paraphrases sharing words above unrelated sentences', async () => {
    const cases: [anchor: string, paraphrase: string, unrelated: string][] = [
      ['I prefer TypeScript for new projects', 'The user prefers TypeScript', 'My dog is called Rex'],
      ['We deploy to Hetzner in eu-central', 'Deploy target is Hetzner eu-central', 'I am allergic to peanuts'],
      ['My name is Ada Lovelace', "The user's name is Ada", 'The build runs on GitHub Actions'],
      ['I live in Berlin', 'Lives in Berlin, Germany', 'Prefers dark mode in the editor'],
      ['Our database is PostgreSQL 16', 'Uses Postgres 16 as the database', 'The meeting is on Friday'],
      ['I am vegetarian and avoid meat', 'Vegetarian; avoids eating meat', 'Deadline for the launch is March 3'],
    ]
    for (const [anchor, paraphrase, unrelated] of cases) {
      const related = await similarity(anchor, paraphrase)
      const other = await similarity(anchor, unrelated)
      expect(related, `${anchor} ~ ${paraphrase}`).toBeGreaterThan(other + 0.2)
      expect(other, `${anchor} vs ${unrelated}`).toBeLessThan(0.25)
    }
  })

  it('matches partial spellings through character n-grams', async () => {
    const related = await similarity('kubernetes cluster', 'kubernetes-based clusters')
    const unrelated = await similarity('kubernetes cluster', 'vegetable soup recipe')
    expect(related).toBeGreaterThan(unrelated)
    expect(await similarity('deployment', 'deploy')).toBeGreaterThan(await similarity('deployment', 'holiday'))
  })

  it('rejects invalid options with invalid_config', () => {
    expect(() => new HashEmbedder({ dimensions: 4 })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    expect(() => new HashEmbedder({ dimensions: 12.5 })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    // @ts-expect-error misspelt option
    expect(() => new HashEmbedder({ dimension: 128 })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })

  it('honours an aborted signal', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expect(embedder.embed(['hello'], controller.signal)).rejects.toThrow('stop')
  })
})
