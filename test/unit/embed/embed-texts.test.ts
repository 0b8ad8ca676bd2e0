import { describe, expect, it } from 'vitest'
import { embedText, embedTexts } from '../../../src/embed/embed-texts.js'
import type { Embedder } from '../../../src/embed/embedder.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { FactlineError } from '../../../src/errors.js'

/** An embedder that answers every call with `answer(texts)`, counting the calls. */
function scripted(answer: (texts: readonly string[], signal?: AbortSignal) => Promise<unknown>, dimensions = 3) {
  const calls: string[][] = []
  const embedder: Embedder = {
    id: 'scripted',
    dimensions,
    embed: async (texts, signal) => {
      calls.push([...texts])
      return (await answer(texts, signal)) as number[][]
    },
  }
  return { embedder, calls }
}

describe('embedTexts', () => {
  it('returns one checked vector per text, in input order', async () => {
    const embedder = new HashEmbedder({ dimensions: 16 })
    const vectors = await embedTexts(embedder, ['Prefers TypeScript', 'Lives in Lisbon'])
    expect(vectors).toEqual(await embedder.embed(['Prefers TypeScript', 'Lives in Lisbon']))
    expect(await embedText(embedder, 'Lives in Lisbon')).toEqual(vectors[1])
  })

  it('does not call the embedder for no texts', async () => {
    const { embedder, calls } = scripted(async () => [])
    expect(await embedTexts(embedder, [])).toEqual([])
    expect(calls).toEqual([])
  })

  it('refuses a wrong number of vectors with embedding_failed', async () => {
    const { embedder } = scripted(async () => [[1, 2, 3]])
    await expect(embedTexts(embedder, ['a', 'b'])).rejects.toMatchObject({
      code: 'embedding_failed',
      details: { expected: 2, received: 1 },
    })
    const { embedder: none } = scripted(async () => undefined)
    await expect(embedTexts(none, ['a'])).rejects.toMatchObject({ code: 'embedding_failed' })
  })

  it('refuses a vector of another length with dimension_mismatch', async () => {
    const { embedder } = scripted(async () => [[1, 2, 3], [1, 2]])
    await expect(embedTexts(embedder, ['a', 'b'])).rejects.toMatchObject({
      code: 'dimension_mismatch',
      details: { index: 1, expected: 3, received: 2 },
      message: expect.stringContaining('2-dim'),
    })
  })

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '0.5'],
    ['null', null],
  ])('refuses a vector holding %s with embedding_failed', async (_, value) => {
    const { embedder } = scripted(async () => [[0.1, value, 0.3]])
    await expect(embedText(embedder, 'a')).rejects.toMatchObject({ code: 'embedding_failed', details: { index: 0, position: 1 } })
  })

  it('refuses something that is not a vector with embedding_failed', async () => {
    const { embedder } = scripted(async () => [{ 0: 1, 1: 2, 2: 3, length: 3 }])
    await expect(embedText(embedder, 'a')).rejects.toMatchObject({ code: 'embedding_failed' })
  })

  it('wraps an embedder failure as embedding_failed, keeping it as the cause', async () => {
    const cause = new Error('connection reset')
    const { embedder } = scripted(async () => {
      throw cause
    })
    const error = await embedText(embedder, 'a').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FactlineError)
    expect(error).toMatchObject({ code: 'embedding_failed', cause, message: expect.stringContaining('connection reset') })
    const { embedder: thrower } = scripted(async () => {
      throw 'plain string'
    })
    await expect(embedText(thrower, 'a')).rejects.toMatchObject({ code: 'embedding_failed', message: expect.stringContaining('plain string') })
  })

  it('passes on an embedder error that already carries one of its codes', async () => {
    const own = new FactlineError('dimension_mismatch', 'the API returned 12-dim vectors')
    const { embedder } = scripted(async () => {
      throw own
    })
    await expect(embedText(embedder, 'a')).rejects.toBe(own)
  })

  it('rejects with the abort reason unwrapped when the signal aborts', async () => {
    const controller = new AbortController()
    const reason = new Error('shutting down')
    const { embedder } = scripted(async (_, signal) => {
      controller.abort(reason)
      throw signal?.reason
    })
    await expect(embedText(embedder, 'a', controller.signal)).rejects.toBe(reason)
  })
})
