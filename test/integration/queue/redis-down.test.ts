import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { describe, expect, inject, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import { listFacts } from '../../../src/facts/fact-repository.js'
import { createExtractionQueue } from '../../../src/queue/extraction-queue.js'
import { createExtractionWorker } from '../../../src/queue/extraction-worker.js'
import { sweep } from '../../../src/extraction/sweep.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openPGlite } from '../../helpers/databases.js'
import { useDatabase } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'

const ctx = useDatabase('postgres')

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('Redis unreachable', () => {
  it('still stores items and returns promptly; a sweep later enqueues the session', async () => {
    const dead = await createExtractionQueue({ connection: { url: `redis://127.0.0.1:${await closedPort()}` }, enqueueTimeoutMs: 1_000 })
    const userId = uniqueId('user')
    const warnings: string[] = []
    const session = new PostgresSession({
      sessionId: uniqueId('session'),
      userId,
      db: ctx.handle,
      onItemsAdded: dead.onItemsAdded,
      logger: { debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) },
    })
    const started = Date.now()
    await session.addItems([{ role: 'user', content: 'I live in Madrid.' }])
    // A correctness bound (the enqueue gives up), not a speed measurement: without fail-fast it would hang.
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(await session.getItems()).toHaveLength(1)
    expect(warnings).toHaveLength(1)
    await expect(dead.enqueue({ sessionId: await session.getSessionId(), throughMessageId: 1 })).rejects.toMatchObject({
      code: 'queue_unavailable',
    })
    await dead.close()

    const queueName = `test-${randomUUID()}`
    const connection = { url: inject('redisUrl') }
    const queue = await createExtractionQueue({ connection, queueName, coalesceMs: 0 })
    const worker = await createExtractionWorker({
      db: ctx.handle,
      extractor: new NlpExtractor(),
      embedder: new HashEmbedder(),
      connection,
      queueName,
      sweepIntervalMs: 0,
    })
    try {
      const result = await sweep(ctx.handle.db, queue, { userId })
      expect(result).toEqual({ enqueued: 1, failed: [] })
      const facts = await waitFor(async () => {
        const f = await listFacts(ctx.handle.db, { userId, namespace: 'default' })
        return f.length > 0 ? f : undefined
      }, 'the swept session to be extracted')
      expect(facts.map((f) => f.content)).toEqual(['Lives in Madrid'])
      // Caught up: nothing left to sweep for this user.
      expect(await sweep(ctx.handle.db, queue, { userId })).toEqual({ enqueued: 0, failed: [] })
    } finally {
      await worker.close()
      await queue.close()
    }
  })

  it('reports sessions it could not enqueue instead of throwing', async () => {
    const userId = uniqueId('user')
    const session = new PostgresSession({ sessionId: uniqueId('session'), userId, db: ctx.handle })
    await session.addItems([{ role: 'user', content: 'I work at Initech.' }])
    const dead = await createExtractionQueue({ connection: { url: `redis://127.0.0.1:${await closedPort()}` }, enqueueTimeoutMs: 500 })
    try {
      const result = await sweep(ctx.handle.db, dead, { userId })
      expect(result.enqueued).toBe(0)
      expect(result.failed).toEqual([{ sessionId: await session.getSessionId(), error: expect.objectContaining({ code: 'queue_unavailable' }) }])
    } finally {
      await dead.close()
    }
  })

  it("is caught up by a worker's periodic sweep without anyone enqueueing", async () => {
    // A database of its own, so the sweep sees only this test's sessions.
    const own = await openPGlite()
    const queueName = `test-${randomUUID()}`
    const userId = uniqueId('user')
    const session = new PostgresSession({ sessionId: uniqueId('session'), userId, db: own })
    await session.addItems([{ role: 'user', content: 'I work at Hooli.' }])
    const worker = await createExtractionWorker({
      db: own,
      extractor: new NlpExtractor(),
      embedder: new HashEmbedder(),
      connection: { url: inject('redisUrl') },
      queueName,
      sweepIntervalMs: 200,
    })
    try {
      const facts = await waitFor(async () => {
        const f = await listFacts(own.db, { userId, namespace: 'default' })
        return f.length > 0 ? f : undefined
      }, 'the periodic sweep to get the session extracted')
      expect(facts.map((f) => f.content)).toEqual(['Works at Hooli'])
    } finally {
      await worker.close()
      await own.close()
    }
  })
})
