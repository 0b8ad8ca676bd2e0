import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { RuleExtractor } from '../../../src/extract/rule-extractor.js'
import { listFacts, listFactSources } from '../../../src/facts/fact-repository.js'
import { createExtractionQueue } from '../../../src/queue/extraction-queue.js'
import { createExtractionWorker } from '../../../src/queue/extraction-worker.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openPostgres } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'

let handle: FactlineDb
beforeAll(async () => {
  handle = await openPostgres()
})
afterAll(async () => {
  await handle.close()
})

describe('a worker killed mid-job', () => {
  it('loses nothing: after SIGKILL another worker finishes the job exactly once', async () => {
    const queueName = `test-${randomUUID()}`
    const redisUrl = inject('redisUrl')
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/slow-extraction-worker.ts'], {
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), REDIS_URL: redisUrl, QUEUE_NAME: queueName },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    const lines = createInterface({ input: child.stdout! })
    const seen: string[] = []
    lines.on('line', (line) => seen.push(line))

    const queue = await createExtractionQueue({ connection: { url: redisUrl }, queueName, coalesceMs: 0 })
    const userId = uniqueId('user')
    const sessionId = uniqueId('session')
    const session = new PostgresSession({ sessionId, userId, db: handle, onItemsAdded: queue.onItemsAdded })
    try {
      await waitFor(async () => seen.includes('ready'), 'the child worker to start', 30_000)
      await session.addItems([{ role: 'user', content: 'I live in Vienna and I work at Umbrella.' }])
      // The child is now inside the job's transaction, holding the user's advisory lock.
      await waitFor(async () => seen.includes(`started ${sessionId}`), 'the child to start the job')
      child.kill('SIGKILL')
      expect(await exited).toBe('SIGKILL')
      expect(await listFacts(handle.db, { userId, namespace: 'default' })).toEqual([])

      const rescuer = await createExtractionWorker({
        db: handle,
        extractor: new RuleExtractor(),
        embedder: new HashEmbedder(),
        connection: { url: redisUrl },
        queueName,
        stalledInterval: 300,
        lockDuration: 1_000,
        sweepIntervalMs: 0,
      })
      try {
        const facts = await waitFor(async () => {
          const f = await listFacts(handle.db, { userId, namespace: 'default' })
          return f.length === 2 ? f : undefined
        }, 'the stalled job to be finished by the second worker')
        expect(facts.map((f) => f.content).sort()).toEqual(['Lives in Vienna', 'Works at Umbrella'])
        const sources = await listFactSources(handle.db, facts.map((f) => f.id))
        expect(sources).toHaveLength(2)
        const [job] = await queue.queue.getJobs(['completed'])
        expect(job?.returnvalue).toMatchObject({ sessionId, added: 2 })
      } finally {
        await rescuer.close()
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await queue.close()
    }
  })
})
