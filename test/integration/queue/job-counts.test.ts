import { describe, expect, expectTypeOf, inject, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import { createExtractionQueue, type ExtractionJobCounts } from '../../../src/queue/extraction-queue.js'
import { createExtractionWorker, type ExtractionWorker } from '../../../src/queue/extraction-worker.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { useDatabase } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'

const ctx = useDatabase('postgres')

describe('extraction job counts', () => {
  it('reports delayed, completed and failed jobs through the producer and the worker alike', async () => {
    const connection = { url: inject('redisUrl') }
    const queueName = uniqueId('test')
    // One producer holds its job back for a minute, the other enqueues for right away.
    const later = await createExtractionQueue({ connection, queueName, coalesceMs: 60_000 })
    const now = await createExtractionQueue({ connection, queueName, coalesceMs: 0 })
    const worker = await createExtractionWorker({
      db: ctx.handle,
      extractor: new NlpExtractor(),
      embedder: new HashEmbedder(),
      connection,
      queueName,
      sweepIntervalMs: 0,
    })
    try {
      expect(worker.queueName).toBe(queueName)
      await later.enqueue({ sessionId: uniqueId('later'), throughMessageId: 1 })
      expect(await later.counts()).toEqual({ waiting: 0, delayed: 1, active: 0, completed: 0, failed: 0 })

      const session = new PostgresSession({ sessionId: uniqueId('session'), userId: uniqueId('user'), db: ctx.handle })
      await session.addItems([{ role: 'user', content: 'I live in Graz.' }])
      await now.enqueue({ sessionId: await session.getSessionId(), throughMessageId: 1 })
      // A session that does not exist fails at once, and its job is then removed rather than kept
      // as failed: the session may be a forgotten user's, whose traces must not stay in Redis.
      await now.enqueue({ sessionId: uniqueId('missing'), throughMessageId: 1 })

      const settled = await waitFor(async () => {
        const counts = await worker.counts()
        return counts.completed === 1 && counts.waiting === 0 && counts.active === 0 ? counts : undefined
      }, 'both immediate jobs to settle')
      expect(settled).toEqual({ waiting: 0, delayed: 1, active: 0, completed: 1, failed: 0 })
      expect(await now.counts()).toEqual(settled)
    } finally {
      await worker.close()
      await now.close()
      await later.close()
    }
  })

  it('types counts() as the five job states', () => {
    expectTypeOf<ExtractionWorker['counts']>().returns.resolves.toEqualTypeOf<ExtractionJobCounts>()
    expectTypeOf<keyof ExtractionJobCounts>().toEqualTypeOf<'waiting' | 'delayed' | 'active' | 'completed' | 'failed'>()
  })
})
