import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { ExtractionInput, Extractor } from '../../../src/extractors/extractor.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { createExtractionQueue } from '../../../src/queue/extraction-queue.js'
import { createExtractionWorker } from '../../../src/queue/extraction-worker.js'
import { forgetUserJobs } from '../../../src/queue/forget-user-jobs.js'
import { defaultQueueName, resolveQueueIdentity } from '../../../src/queue/queue-name.js'
import { createQueueScheduler } from '../../../src/queue/queue-scheduler.js'
import { readWatermarks } from '../../../src/session/sessions-table.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openPostgres } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'
import { describeWith } from '../../helpers/services.js'

/** An NLP extractor that fails, quoting the message as a model's refusal might, when told to. */
class FailingOnDemandExtractor implements Extractor {
  readonly id = 'failing-on-demand'
  readonly model = null
  readonly #rules = new NlpExtractor()
  async extract(input: ExtractionInput) {
    const poisoned = input.items.find((item) => item.text.includes('EXPLODE'))
    if (poisoned) throw new Error(`the model refused: "${poisoned.text}"`)
    return this.#rules.extract(input)
  }
}

let redis: Redis
beforeAll(async () => {
  const { Redis } = await import('ioredis')
  redis = new Redis(inject('redisUrl'))
})
afterAll(() => {
  redis.disconnect()
})

/** Every key of a queue with everything it holds, as text. */
async function dumpQueue(queueName: string): Promise<Array<{ key: string; text: string }>> {
  const out: Array<{ key: string; text: string }> = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${queueName}:*`, 'COUNT', 1_000)
    cursor = next
    for (const key of keys) {
      const type = await redis.type(key)
      const value =
        type === 'hash' ? await redis.hgetall(key)
        : type === 'string' ? await redis.get(key)
        : type === 'list' ? await redis.lrange(key, 0, -1)
        : type === 'set' ? await redis.smembers(key)
        : type === 'zset' ? await redis.zrange(key, 0, -1)
        : type === 'stream' ? await redis.xrange(key, '-', '+')
        : null
      out.push({ key, text: JSON.stringify(value) })
    }
  } while (cursor !== '0')
  return out
}

function hits(dump: Array<{ key: string; text: string }>, needle: string): string[] {
  return dump.filter((entry) => entry.key.includes(needle) || entry.text.includes(needle)).map((entry) => entry.key)
}

describeWith('postgres', 'redis')('forgetUser in queue mode', () => {
  let memory: Memory
  const queueName = uniqueId('erase')

  beforeAll(async () => {
    memory = await createMemory({
      database: { url: inject('databaseUrl') },
      queue: { url: inject('redisUrl'), name: queueName },
      extractor: new FailingOnDemandExtractor(),
      env: false,
    })
  })
  afterAll(async () => {
    await memory.close()
  })

  it('leaves nothing in Redis that names the user, their sessions or their words', async () => {
    const userId = uniqueId('erase-user')
    const marker = `marker-${randomUUID()}`
    // Session ids that do not contain the user id, so each needle is found on its own.
    const chat = `chat-${randomUUID()}`
    const other = `chat-${randomUUID()}`
    const worker = await memory.worker({ concurrency: 1, sweepIntervalMs: 0 })

    const session = memory.session(chat, { userId })
    await session.addItems([{ role: 'user', content: `I live in Berlin. My code word is ${marker}.` }])
    await memory.flush()

    await session.addItems([{ role: 'user', content: `EXPLODE ${marker}` }])
    const { Queue } = await import('bullmq')
    const inspect = new Queue(queueName, { connection: redis })
    const retried = await waitFor(async () => {
      const jobs = await inspect.getJobs(['delayed', 'failed'])
      return jobs.find((job) => job.attemptsMade >= 1 && job.failedReason !== undefined && job.failedReason !== '')
    }, 'the failing job to record its first failure')
    await inspect.close()
    // The model text (with the marker) stays out of the failure reason.
    expect(retried.failedReason).toBe('Error')
    const failing = await dumpQueue(queueName)
    // What Redis keeps about the session before erasure: ids and counts, no user id or text.
    expect(hits(failing, marker)).toEqual([])
    expect(hits(failing, userId)).toEqual([])
    expect(hits(failing, chat).length).toBeGreaterThan(0)

    // A turn in a second session stays queued: no worker runs it.
    await worker.close()
    await memory.session(other, { userId, namespace: 'support' }).addItems([{ role: 'user', content: `I work at Acme, ${marker}.` }])

    await memory.forgetUser(userId)

    const dump = await dumpQueue(queueName)
    expect(hits(dump, userId)).toEqual([])
    expect(hits(dump, marker)).toEqual([])
    expect(hits(dump, chat)).toEqual([])
    expect(hits(dump, other)).toEqual([])
  })
})

describeWith('postgres', 'redis')('forgetUserJobs', () => {
  it("removes only the named sessions' jobs, even when another session's id extends theirs", async () => {
    const queue = await createExtractionQueue({ connection: { url: inject('redisUrl') }, queueName: uniqueId('forget'), coalesceMs: 60_000 })
    try {
      const base = `s*${randomUUID()}`
      const jobs = {
        gone: await queue.enqueue({ sessionId: base, throughMessageId: 3 }),
        longer: await queue.enqueue({ sessionId: `${base}-7`, throughMessageId: 3 }),
        starred: await queue.enqueue({ sessionId: `${base}x`, throughMessageId: 3 }),
      }
      const result = await forgetUserJobs(queue.queue, [base])
      expect(result).toMatchObject({ jobs: 1, active: 0 })
      expect(await queue.queue.getJob(jobs.gone.jobId)).toBeUndefined()
      expect(await queue.queue.getJob(jobs.longer.jobId)).toBeDefined()
      expect(await queue.queue.getJob(jobs.starred.jobId)).toBeDefined()
    } finally {
      await queue.queue.obliterate({ force: true })
      await queue.close()
    }
  })
})

describeWith('postgres', 'redis')('jobs bound to their database', () => {
  it("names the default queue after the database, and the app's producer and the worker agree on it", async () => {
    const handle = await openPostgres()
    try {
      const identity = await resolveQueueIdentity(handle.db)
      expect(identity.name).toMatch(/^factline-extraction-[0-9a-f]{12}$/)
      expect(identity.name).toBe(defaultQueueName(identity.databaseTag))
      expect(await resolveQueueIdentity(handle.db)).toEqual(identity)

      const scheduler = await createQueueScheduler({ db: handle.db, connection: { url: inject('redisUrl') } })
      const worker = await createExtractionWorker({
        db: handle,
        extractor: new NlpExtractor(),
        embedder: new HashEmbedder(),
        connection: { url: inject('redisUrl') },
        autorun: false,
        sweepIntervalMs: 0,
      })
      expect(scheduler.producer.name).toBe(identity.name)
      expect(worker.queueName).toBe(identity.name)
      await worker.close()
      await scheduler.close()
    } finally {
      await handle.close()
    }
  })

  it("refuses, without running it, a job of another database on a shared queue name", async () => {
    const handle = await openPostgres()
    const queueName = uniqueId('shared')
    const sessionId = uniqueId('session')
    const userId = uniqueId('user')
    const session = new PostgresSession({ sessionId, userId, db: handle })
    await session.addItems([{ role: 'user', content: 'I live in Oslo.' }])
    const foreign = await createExtractionQueue({ connection: { url: inject('redisUrl') }, queueName, databaseTag: 'another-db', coalesceMs: 0 })
    const worker = await createExtractionWorker({
      db: handle,
      extractor: new NlpExtractor(),
      embedder: new HashEmbedder(),
      connection: { url: inject('redisUrl') },
      queueName,
      sweepIntervalMs: 0,
    })
    try {
      const { jobId } = await foreign.enqueue({ sessionId, throughMessageId: 1 })
      const job = await waitFor(async () => {
        const found = await foreign.queue.getJob(jobId)
        return (await found?.isFailed()) ? found : null
      }, 'the foreign job to be refused')
      expect(job.failedReason).toMatch(/^wrong_database/)
      expect(job.attemptsMade).toBe(1)
      expect((await readWatermarks(handle.db, userId, [sessionId])).get(sessionId)).toBe(0)
    } finally {
      await worker.close()
      await foreign.close()
      await handle.close()
    }
  })
})
