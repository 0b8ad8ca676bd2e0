import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { Extractor } from '../../../src/extractors/extractor.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import { listFacts } from '../../../src/facts/fact-repository.js'
import { listFactSources } from '../../helpers/fact-sources.js'
import { createInlineScheduler } from '../../../src/extraction/inline-scheduler.js'
import { sweep } from '../../../src/extraction/sweep.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openPGlite } from '../../helpers/databases.js'
import { SlowExtractor } from '../../helpers/test-extractors.js'
import { uniqueId } from '../../helpers/test-env.js'

let handle: FactlineDb
beforeAll(async () => {
  handle = await openPGlite()
})
afterAll(async () => {
  await handle.close()
})

const embedder = new HashEmbedder()

describe('inline extraction on PGlite', () => {
  it('extracts in process after addItems, and flush waits until it has caught up', async () => {
    const inline = createInlineScheduler({ db: handle.db, extractor: new NlpExtractor(), embedder })
    const userId = uniqueId('user')
    const session = new PostgresSession({ sessionId: uniqueId('session'), userId, db: handle, onItemsAdded: inline.onItemsAdded })
    await session.addItems([{ role: 'user', content: 'I live in Berlin.' }])
    await session.addItems([{ role: 'user', content: 'I prefer tabs over spaces.' }])
    await session.addItems([{ role: 'user', content: 'Actually, I moved to Oslo.' }])
    await inline.flush()

    const active = await listFacts(handle.db, { userId, namespace: 'default' })
    expect(active.map((f) => f.content).sort()).toEqual(['Moved to Oslo', 'Prefers tabs over spaces'])
    const superseded = await listFacts(handle.db, { userId, namespace: 'default' }, { status: 'superseded' })
    expect(superseded.map((f) => f.content)).toEqual(['Lives in Berlin'])
    await inline.close()
  })

  it('does not deadlock the single connection when the session is used while extraction runs', async () => {
    let started!: () => void
    const running = new Promise<void>((resolve) => (started = resolve))
    const slow: Extractor = new SlowExtractor(new NlpExtractor(), 200, () => started())
    const inline = createInlineScheduler({ db: handle.db, extractor: slow, embedder })
    const userId = uniqueId('user')
    const session = new PostgresSession({ sessionId: uniqueId('session'), userId, db: handle, onItemsAdded: inline.onItemsAdded })
    await session.addItems([{ role: 'user', content: 'I work at Globex.' }])
    await running
    // The model call holds no transaction, so these use the one connection meanwhile.
    await session.addItems([{ role: 'user', content: 'I love chess.' }])
    expect(await session.getItems()).toHaveLength(2)
    await inline.flush()

    const facts = await listFacts(handle.db, { userId, namespace: 'default' })
    expect(facts.map((f) => f.content).sort()).toEqual(['Loves chess', 'Works at Globex'])
    const sources = await listFactSources(handle.db, facts.map((f) => f.id))
    expect(new Set(sources.map((s) => s.messageId)).size).toBe(2)
  })

  it('reports a failed run from flush, and the next run retries it', async () => {
    let fail = true
    const flaky: Extractor = {
      id: 'flaky',
      model: null,
      async extract(input) {
        if (fail) throw new Error('model unavailable')
        return new NlpExtractor().extract(input)
      },
    }
    const inline = createInlineScheduler({ db: handle.db, extractor: flaky, embedder })
    const userId = uniqueId('user')
    const session = new PostgresSession({ sessionId: uniqueId('session'), userId, db: handle, onItemsAdded: inline.onItemsAdded })
    await session.addItems([{ role: 'user', content: 'My name is Linus.' }])
    await expect(inline.flush()).rejects.toThrow('model unavailable')
    expect(await listFacts(handle.db, { userId, namespace: 'default' })).toEqual([])

    fail = false
    expect(await sweep(handle.db, inline, { userId })).toEqual({ enqueued: 1, failed: [] })
    await inline.flush()
    expect((await listFacts(handle.db, { userId, namespace: 'default' })).map((f) => f.content)).toEqual(['Name is Linus'])
  })
})
