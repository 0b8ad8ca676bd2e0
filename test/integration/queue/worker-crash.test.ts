import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { describe, expect, inject, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import { listFacts } from '../../../src/facts/fact-repository.js'
import { listFactSources } from '../../helpers/fact-sources.js'
import { createExtractionQueue } from '../../../src/queue/extraction-queue.js'
import { createExtractionWorker } from '../../../src/queue/extraction-worker.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { useDatabase } from '../../helpers/suite-fixtures.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'

const ctx = useDatabase('postgres')

/** Spawns test/helpers/slow-extraction-worker.ts and collects its stdout lines. */
function spawnSlowWorker(queueName: string, slowMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/slow-extraction-worker.ts'], {
    env: { ...process.env, DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl'), QUEUE_NAME: queueName, SLOW_MS: String(slowMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const seen: string[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => seen.push(line))
  const saw = (line: string, what: string) => waitFor(async () => seen.includes(line), what, 30_000)
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  return { child, exited, saw, kill }
}

describe('a worker killed mid-job', () => {
  it('loses nothing: after SIGKILL another worker finishes the job exactly once', async () => {
    const queueName = `test-${randomUUID()}`
    const redisUrl = inject('redisUrl')
    const worker = spawnSlowWorker(queueName, 120_000)
    const queue = await createExtractionQueue({ connection: { url: redisUrl }, queueName, coalesceMs: 0 })
    const userId = uniqueId('user')
    const sessionId = uniqueId('session')
    const session = new PostgresSession({ sessionId, userId, db: ctx.handle, onItemsAdded: queue.onItemsAdded })
    try {
      await worker.saw('ready', 'the child worker to start')
      await session.addItems([{ role: 'user', content: 'I live in Vienna and I work at Umbrella.' }])
      // The child is now in the job's model call; nothing of the job is committed yet.
      await worker.saw(`started ${sessionId}`, 'the child to start the job')
      worker.child.kill('SIGKILL')
      expect((await worker.exited).signal).toBe('SIGKILL')
      expect(await listFacts(ctx.handle.db, { userId, namespace: 'default' })).toEqual([])

      const rescuer = await createExtractionWorker({
        db: ctx.handle,
        extractor: new NlpExtractor(),
        embedder: new HashEmbedder(),
        connection: { url: redisUrl },
        queueName,
        stalledInterval: 300,
        lockDuration: 1_000,
        sweepIntervalMs: 0,
      })
      try {
        const facts = await waitFor(async () => {
          const f = await listFacts(ctx.handle.db, { userId, namespace: 'default' })
          return f.length === 2 ? f : undefined
        }, 'the stalled job to be finished by the second worker')
        expect(facts.map((f) => f.content).sort()).toEqual(['Lives in Vienna', 'Works at Umbrella'])
        const sources = await listFactSources(ctx.handle.db, facts.map((f) => f.id))
        expect(sources).toHaveLength(2)
        const [job] = await queue.queue.getJobs(['completed'])
        expect(job?.returnvalue).toMatchObject({ sessionId, added: 2 })
      } finally {
        await rescuer.close()
      }
    } finally {
      worker.kill()
      await queue.close()
    }
  })

  it('on SIGTERM finishes the running job before exiting', async () => {
    const queueName = `test-${randomUUID()}`
    const worker = spawnSlowWorker(queueName, 1_500)
    const queue = await createExtractionQueue({ connection: { url: inject('redisUrl') }, queueName, coalesceMs: 0 })
    const userId = uniqueId('user')
    const sessionId = uniqueId('session')
    const session = new PostgresSession({ sessionId, userId, db: ctx.handle, onItemsAdded: queue.onItemsAdded })
    try {
      await worker.saw('ready', 'the child worker to start')
      await session.addItems([{ role: 'user', content: 'My name is Hedy.' }])
      await worker.saw(`started ${sessionId}`, 'the child to start the job')
      worker.child.kill('SIGTERM')
      await worker.saw('stopped', 'the child to shut down')
      expect(await worker.exited).toEqual({ code: 0, signal: null })
      expect((await listFacts(ctx.handle.db, { userId, namespace: 'default' })).map((f) => f.content)).toEqual(['Name is Hedy'])
      expect(await queue.counts()).toMatchObject({ completed: 1, active: 0, waiting: 0 })
    } finally {
      worker.kill()
      await queue.close()
    }
  })
})
