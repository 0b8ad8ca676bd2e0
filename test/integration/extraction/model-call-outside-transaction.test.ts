import type { AgentInputItem } from '@openai/agents'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { Extractor } from '../../../src/extractors/extractor.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import type { Scope } from '../../../src/scope.js'
import { listFacts } from '../../../src/facts/fact-repository.js'
import { listFactSources } from '../../helpers/fact-sources.js'
import { processSessionExtraction, type ExtractionProcessorDeps } from '../../../src/extraction/extraction-processor.js'
import { createInlineScheduler } from '../../../src/extraction/inline-scheduler.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openBackend, openPGlite, type Backend } from '../../helpers/databases.js'
import { GatedExtractor } from '../../helpers/test-extractors.js'
import { uniqueId } from '../../helpers/test-env.js'
import { newestMessageId, watermark } from '../../helpers/extraction-progress.js'

const user = (text: string): AgentInputItem => ({ role: 'user', content: text })
const embedder = new HashEmbedder()
const gated = () => new GatedExtractor(new NlpExtractor())

/** Every fact of a scope (any status) as `[content, number of sources]`, plus the event count. */
async function factsOf(handle: FactlineDb, scope: Scope) {
  const facts = await listFacts(handle.db, scope, { status: ['active', 'superseded', 'retracted'] })
  const sources = await listFactSources(handle.db, facts.map((f) => f.id))
  const events = await handle.db.selectFrom('fact_events').select('id').where('user_id', '=', scope.userId).execute()
  return {
    facts: facts
      .map((f) => [f.content, sources.filter((s) => s.factId === f.id).length] as const)
      .sort((a, b) => a[0].localeCompare(b[0])),
    events: events.length,
  }
}

describe('inline extraction on PGlite while the model call runs', () => {
  let handle: FactlineDb
  beforeAll(async () => {
    handle = await openPGlite()
  })
  afterAll(async () => {
    await handle.close()
  })

  it('lets getItems and addItems finish before the model call returns', async () => {
    const extractor = gated()
    const inline = createInlineScheduler({ db: handle.db, extractor, embedder })
    const userId = uniqueId('user')
    const sessionId = uniqueId('session')
    const session = new PostgresSession({ sessionId, userId, db: handle, onItemsAdded: inline.onItemsAdded })
    await session.addItems([user('I work at Globex.')])
    const call = await extractor.call(0)

    const order: string[] = []
    const releaseModel = () => {
      order.push('model call released')
      extractor.open()
    }
    // Only breaks the deadlock the old design had (these queries queued behind a transaction that
    // waited for this model call), so a regression fails on the order below instead of hanging.
    const deadlockBreaker = setTimeout(releaseModel, 10_000)
    const read = session.getItems().then((items) => {
      order.push('getItems')
      return items
    })
    const write = session.addItems([user('I love chess.')]).then(() => order.push('addItems'))
    const [items] = await Promise.all([read, write])
    clearTimeout(deadlockBreaker)
    if (!order.includes('model call released')) releaseModel()

    expect(order.slice(0, 2).sort()).toEqual(['addItems', 'getItems'])
    expect(order[2]).toBe('model call released')
    expect(items[0]).toEqual(user('I work at Globex.'))
    expect(call.input.items.map((i) => i.text)).toEqual(['I work at Globex.'])

    await inline.flush()
    const { facts } = await factsOf(handle, { userId, namespace: 'default' })
    expect(facts).toEqual([
      ['Loves chess', 1],
      ['Works at Globex', 1],
    ])
    expect(await watermark(handle, sessionId)).toBe(await newestMessageId(handle, sessionId))
    await inline.close()
  })
})

describe.each<Backend>(['postgres', 'pglite'])('the model call outside the transaction, on %s', (backend) => {
  let handle: FactlineDb
  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle.close()
  })

  const deps = (extractor: Extractor, more: Partial<ExtractionProcessorDeps> = {}): ExtractionProcessorDeps => ({
    db: handle.db,
    extractor,
    embedder,
    ...more,
  })

  async function openSession(items: AgentInputItem[]) {
    const userId = uniqueId('user')
    const sessionId = uniqueId('session')
    const session = new PostgresSession({ sessionId, userId, db: handle })
    await session.addItems(items)
    return { session, sessionId, scope: { userId, namespace: 'default' } }
  }

  it('writes no fact drawn from an item popped during the model call, and still advances the watermark', async () => {
    const { session, sessionId, scope } = await openSession([user('I work at Globex.'), user('I love chess.')])
    const newest = await newestMessageId(handle, sessionId)
    const extractor = gated()
    const run = processSessionExtraction(deps(extractor), sessionId)
    const call = await extractor.call(0)
    expect(call.input.items.map((i) => i.text)).toEqual(['I work at Globex.', 'I love chess.'])

    // Before, popItem waited for the extraction transaction (and on PGlite, for the model call).
    expect(await session.popItem()).toEqual(user('I love chess.'))
    call.release()
    expect(await run).toMatchObject({ items: 2, batches: 1, added: 1, dropped: 1, extractedThrough: newest })

    expect(await factsOf(handle, scope)).toEqual({ facts: [['Works at Globex', 1]], events: 1 })
    expect(await watermark(handle, sessionId)).toBe(newest)
    expect(await processSessionExtraction(deps(new NlpExtractor()), sessionId)).toMatchObject({ items: 0, added: 0 })
  })

  it('lets two runs race through the model call and keeps the facts of one', async () => {
    const { sessionId, scope } = await openSession([user('I live in Lisbon. I love hiking. My name is Grace.')])
    const [a, b] = [gated(), gated()]
    const runA = processSessionExtraction(deps(a), sessionId)
    const runB = processSessionExtraction(deps(b), sessionId)
    // Both are in their model call at once: neither waits for the other's lock any more.
    const [callA, callB] = await Promise.all([a.call(0), b.call(0)])
    callA.release()
    const first = await runA
    callB.release()
    const second = await runB

    expect(first).toMatchObject({ items: 1, batches: 1, added: 3 })
    // B's draft was covered by A's commit: discarded, nothing written, watermark left where A put it.
    expect(second).toMatchObject({ items: 0, batches: 0, added: 0, noop: 0, extractedThrough: first.extractedThrough })
    expect(b.started).toBe(1)
    expect(await factsOf(handle, scope)).toEqual({
      facts: [
        ['Lives in Lisbon', 1],
        ['Loves hiking', 1],
        ['Name is Grace', 1],
      ],
      events: 3,
    })
  })

  it('drafts again, from the new watermark, when another run committed part of its batch', async () => {
    const { session, sessionId, scope } = await openSession([user('I live in Lisbon.')])
    const [a, b] = [gated(), gated()]
    const runA = processSessionExtraction(deps(a), sessionId)
    const callA = await a.call(0)
    await session.addItems([user('I love hiking.')])
    const runB = processSessionExtraction(deps(b), sessionId)
    const firstB = await b.call(0)
    expect(firstB.input.items.map((i) => i.text)).toEqual(['I live in Lisbon.', 'I love hiking.'])

    callA.release()
    expect(await runA).toMatchObject({ items: 1, added: 1 })
    firstB.release()
    const secondB = await b.call(1)
    expect(secondB.input.items.map((i) => i.text)).toEqual(['I love hiking.'])
    secondB.release()
    expect(await runB).toMatchObject({ items: 1, batches: 1, added: 1, extractedThrough: await newestMessageId(handle, sessionId) })

    expect(await factsOf(handle, scope)).toEqual({
      facts: [
        ['Lives in Lisbon', 1],
        ['Loves hiking', 1],
      ],
      events: 2,
    })
  })

  it('gives up with a transient error when other runs keep overtaking its drafts, and loses nothing', async () => {
    const { sessionId, scope } = await openSession([
      user('I live in Lisbon.'),
      user('I love hiking.'),
      user('My name is Grace.'),
      user('I work at ACME.'),
    ])
    const [slow, steady] = [gated(), gated()]
    const runSlow = processSessionExtraction(deps(slow), sessionId)
    const firstSlow = await slow.call(0)
    // One item per batch: each of its commits moves the watermark past part of the slow draft.
    const runSteady = processSessionExtraction(deps(steady, { maxItemsPerBatch: 1 }), sessionId)
    let slowCall = firstSlow
    for (let i = 0; i < 3; i++) {
      ;(await steady.call(i)).release()
      await steady.call(i + 1) // steady has committed item i + 1 and holds its next draft
      slowCall.release()
      // Slow finds its draft overtaken and drafts again, before steady's next commit overtakes that.
      if (i < 2) slowCall = await slow.call(i + 1)
    }
    await expect(runSlow).rejects.toMatchObject({ code: 'extraction_failed', details: { sessionId, drafts: 3 } })
    expect(slow.started).toBe(3)
    steady.open()
    expect(await runSteady).toMatchObject({ items: 4, batches: 4, added: 4 })

    expect((await factsOf(handle, scope)).facts).toEqual([
      ['Lives in Lisbon', 1],
      ['Loves hiking', 1],
      ['Name is Grace', 1],
      ['Works at ACME', 1],
    ])
    expect(await processSessionExtraction(deps(new NlpExtractor()), sessionId)).toMatchObject({ items: 0 })
  })
})
