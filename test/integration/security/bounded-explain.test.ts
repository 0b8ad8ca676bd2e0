import { describe, expect, it } from 'vitest'
import { DEFAULT_SOURCE_LIMIT, explainFact, MAX_SOURCE_TEXT_CHARS, type ExplainedSource } from '../../../src/facts/explain.js'
import { BACKENDS } from '../../helpers/databases.js'
import { useFactStore } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { seedSession } from '../facts/fixtures.js'

const SOURCES = 30
const SOURCE_CHARS = 100_000

describe.each(BACKENDS)('explain on %s with many large sources', (backend) => {
  const ctx = useFactStore(backend)

  it('returns a page of sources with each text capped and flagged, and pages through all of them', async () => {
    const userId = uniqueId('user')
    // Each message is 100 KB, and ends with its own number, so a cut shows.
    const texts = Array.from({ length: SOURCES }, (_, i) => `${'I deploy to Fly. '.repeat(SOURCE_CHARS / 17)} #${i}`)
    const { sources } = await seedSession(ctx.handle, userId, texts)
    const fact = await ctx.store.add({ userId, content: 'Deploys to Fly', sources })

    const first = await explainFact(ctx.handle, fact.id, { userId })
    expect(first.sources).toHaveLength(DEFAULT_SOURCE_LIMIT)
    expect(first.sourceCount).toBe(SOURCES)
    expect(first.nextSourceCursor).not.toBeNull()
    for (const source of first.sources) {
      expect(source).toMatchObject({ role: 'user', item: null, truncated: true })
      expect(source.text).toHaveLength(MAX_SOURCE_TEXT_CHARS)
      expect(source.text.startsWith('I deploy to Fly.')).toBe(true)
    }
    // 30 × 100 KB of transcript; the answer stays near 20 × 4 KB.
    expect(JSON.stringify(first).length).toBeLessThan(DEFAULT_SOURCE_LIMIT * (MAX_SOURCE_TEXT_CHARS + 1_000))

    const seen: ExplainedSource[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Awaited<ReturnType<typeof explainFact>> = await explainFact(ctx.handle, fact.id, {
        userId,
        sourceLimit: 7,
        ...(cursor ? { sourceCursor: cursor } : {}),
      })
      seen.push(...page.sources)
      cursor = page.nextSourceCursor
      pages += 1
    } while (cursor !== null)
    expect(pages).toBe(Math.ceil(SOURCES / 7))
    expect(seen.map((s) => s.messageId)).toEqual(sources.map((s) => s.messageId))
  })

  it('keeps a small source whole', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['I deploy to Fly.'])
    const fact = await ctx.store.add({ userId, content: 'Deploys to Fly', sources })
    const why = await explainFact(ctx.handle, fact.id, { userId })
    expect(why.sources).toMatchObject([{ text: 'I deploy to Fly.', item: { role: 'user', content: 'I deploy to Fly.' }, truncated: false }])
    expect(why).toMatchObject({ sourceCount: 1, nextSourceCursor: null })
  })

  it('rejects a malformed page request with invalid_argument', async () => {
    const userId = uniqueId('user')
    const { sources } = await seedSession(ctx.handle, userId, ['I deploy to Fly.'])
    const fact = await ctx.store.add({ userId, content: 'Deploys to Fly', sources })
    for (const bad of [{ sourceLimit: 0 }, { sourceLimit: 101 }, { sourceCursor: "1' or 1=1" }, { sourceCursor: '-1' }]) {
      await expect(explainFact(ctx.handle, fact.id, { userId, ...bad })).rejects.toMatchObject({ code: 'invalid_argument' })
    }
  })
})
