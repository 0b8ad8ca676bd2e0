import { randomUUID } from 'node:crypto'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import { listFacts } from '../../../src/facts/fact-repository.js'
import type { Logger } from '../../../src/logger.js'
import { createExtractionWorker } from '../../../src/queue/extraction-worker.js'
import { SWEEP_SCHEDULER_ID, sweepQueueName } from '../../../src/queue/sweep-schedule.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openPGlite } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'

type Line = { message: string; fields: Record<string, unknown> }
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = []
  const push = (message: string, fields: Record<string, unknown> = {}) => void lines.push({ message, fields })
  return { lines, debug: push, info: push, warn: push, error: push }
}

// Databases of their own: a sweep enqueues every lagging session it finds, and the run's shared
// database holds other suites' sessions.
let own: FactlineDb
let redis: Redis
const queues: string[] = []

beforeAll(async () => {
  own = await openPGlite()
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null })
})

afterAll(async () => {
  for (const name of queues) {
    for (const queueName of [name, sweepQueueName(name)]) {
      const queue = new Queue(queueName, { connection: redis })
      await queue.obliterate({ force: true })
      await queue.close()
    }
  }
  redis.disconnect()
  await own.close()
})

const startWorker = (queueName: string, sweepIntervalMs: number, logger: Logger) =>
  createExtractionWorker({
    db: own,
    extractor: new NlpExtractor(),
    embedder: new HashEmbedder(),
    connection: { url: inject('redisUrl') },
    queueName,
    sweepIntervalMs,
    logger,
  })

describe('the lag sweep as a BullMQ job scheduler', () => {
  it('runs one sweep per interval with two workers, each as one job run by one worker', async () => {
    const queueName = `test-${randomUUID()}`
    queues.push(queueName)
    const logs = [recordingLogger(), recordingLogger()]
    const workers = [await startWorker(queueName, 250, logs[0]!), await startWorker(queueName, 250, logs[1]!)]
    const sweepJobs = () => logs.flatMap((l) => l.lines.filter((line) => line.message === 'sweep job done'))
    const scheduled = () => sweepJobs().filter((line) => line.fields.trigger === 'schedule')
    try {
      await waitFor(async () => scheduled().length >= 6, 'six scheduled sweeps', 30_000)
      const inspect = new Queue(sweepQueueName(queueName), { connection: redis })
      const schedulers = await inspect.getJobSchedulers()
      await inspect.close()
      expect(schedulers.map((s) => s.key)).toEqual([SWEEP_SCHEDULER_ID])
    } finally {
      for (const worker of workers) await worker.close()
    }
    // Every sweep either worker ran was a job, and no job ran twice.
    const sweeps = logs.flatMap((l) => l.lines.filter((line) => line.message === 'sweep done'))
    const ids = sweepJobs().map((line) => String(line.fields.jobId))
    expect(sweeps).toHaveLength(ids.length)
    expect(new Set(ids).size).toBe(ids.length)
    // One scheduled job per interval slot: the slots (in the job ids) are whole intervals apart.
    const slots = scheduled()
      .map((line) => Number(String(line.fields.jobId).split(':').at(-1)))
      .sort((a, b) => a - b)
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(250)
  })

  it('sweeps when a worker starts, without waiting for the interval', async () => {
    const queueName = `test-${randomUUID()}`
    queues.push(queueName)
    const userId = uniqueId('user')
    // Stored while no worker ran and nothing was enqueued (as during a Redis outage).
    await new PostgresSession({ sessionId: uniqueId('session'), userId, db: own }).addItems([{ role: 'user', content: 'I work at Hooli.' }])
    const log = recordingLogger()
    const worker = await startWorker(queueName, 3_600_000, log)
    try {
      const facts = await waitFor(async () => {
        const f = await listFacts(own.db, { userId, namespace: 'default' })
        return f.length > 0 ? f : undefined
      }, 'the start sweep to get the session extracted')
      expect(facts.map((f) => f.content)).toEqual(['Works at Hooli'])
      expect(log.lines.find((l) => l.message === 'sweep job done')?.fields).toMatchObject({ trigger: 'start' })
    } finally {
      await worker.close()
    }
  })

  it('with sweepIntervalMs 0 runs no sweep at all', async () => {
    const queueName = `test-${randomUUID()}`
    queues.push(queueName)
    const log = recordingLogger()
    const worker = await startWorker(queueName, 0, log)
    await worker.close()
    const inspect = new Queue(sweepQueueName(queueName), { connection: redis })
    expect(await inspect.getJobSchedulersCount()).toBe(0)
    expect(await inspect.getJobCountByTypes('wait', 'delayed', 'active', 'completed')).toBe(0)
    await inspect.close()
    expect(log.lines.filter((l) => l.message.startsWith('sweep'))).toEqual([])
  })
})
