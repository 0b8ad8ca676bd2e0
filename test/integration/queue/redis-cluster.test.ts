import { execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Queue } from 'bullmq'
import { Cluster } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startWorkerFromConfig, sweepFromConfig, type StartedWorker } from '../../../src/config/start-worker.js'
import { createDb, type FactlineDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import { listFacts } from '../../../src/facts/fact-repository.js'
import type { Logger } from '../../../src/logger.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { createExtractionWorker } from '../../../src/queue/extraction-worker.js'
import { encodeSessionIdForJob } from '../../../src/queue/job-ids.js'
import { resolveQueueIdentity } from '../../../src/queue/queue-name.js'
import { clusterStartup } from '../../../src/queue/redis-cluster-nodes.js'
import { scanKeys } from '../../../src/queue/scan-keys.js'
import { SWEEP_SCHEDULER_ID, sweepQueueName } from '../../../src/queue/sweep-schedule.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { RUN_TAG_ENV } from '../../helpers/missing-services.js'
import { startRedisCluster, type LocalRedisCluster } from '../../helpers/redis-cluster.js'
import { removeRunQueues } from '../../helpers/run-queues.js'
import { describeWith, lacks } from '../../helpers/services.js'
import { TEST_EMBEDDING_DIMENSIONS, uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'

type Line = { message: string; fields: Record<string, unknown> }
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = []
  const push = (message: string, fields: Record<string, unknown> = {}) => void lines.push({ message, fields })
  return { lines, debug: push, info: push, warn: push, error: push }
}

const SWEEP_INTERVAL_MS = 300
/** The built CLI, as users run it (`npm test` builds first). */
const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url))

// The suite's own cluster and database: a worker's sweep enqueues every lagging session it finds,
// and the run's shared database holds other suites' sessions.
let cluster: LocalRedisCluster
let inspect: Cluster
let admin: pg.Client
let dbName: string
let databaseUrl: string
let db: FactlineDb
/** The default queue name of the suite's database, before any hash tag. */
let plainName: string

/** The worker `factline worker` would start with REDIS_CLUSTER_NODES set. */
const startClusterWorker = (logger: Logger, sweepIntervalMs: number) =>
  startWorkerFromConfig(
    {
      databaseUrl,
      redisUrl: undefined,
      redisClusterNodes: cluster.nodes,
      openaiApiKey: undefined,
      openaiBaseUrl: undefined,
      extractionModel: undefined,
      embeddingModel: undefined,
      embeddingDimensions: undefined,
      workerConcurrency: 2,
      startupWaitMs: 0,
    },
    { logger, sweepIntervalMs },
  )

const keysOfSession = (sessionId: string) => scanKeys(inspect, `bull:*extract-${encodeSessionIdForJob(sessionId)}-*`)

describeWith('postgres', 'redis-cluster')('BullMQ on a Redis Cluster', () => {
  beforeAll(async () => {
    cluster = await startRedisCluster()
    inspect = new Cluster(clusterStartup(cluster.nodes).startupNodes, { lazyConnect: true })
    // The last test stops the cluster; the failed reconnects are expected.
    inspect.on('error', () => {})
    await inspect.connect()
    dbName = `factline_cluster_${uniqueId('db').replaceAll('-', '').slice(2, 18)}`
    admin = new pg.Client({ connectionString: inject('databaseUrl') })
    await admin.connect()
    await admin.query(`create database ${dbName}`)
    const url = new URL(inject('databaseUrl'))
    url.pathname = `/${dbName}`
    databaseUrl = url.toString()
    db = await createDb({ url: databaseUrl })
    await migrate(db, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
    plainName = (await resolveQueueIdentity(db.db)).name
  })

  afterAll(async () => {
    inspect?.disconnect()
    await db?.close()
    await cluster?.stop()
    await admin?.query(`drop database if exists ${dbName} with (force)`)
    await admin?.end()
  })

  describe('with a worker started from REDIS_CLUSTER_NODES', () => {
    let memory: Memory
    let started: StartedWorker
    const log = recordingLogger()

    beforeAll(async () => {
      started = await startClusterWorker(log, SWEEP_INTERVAL_MS)
      memory = await createMemory({ database: { url: databaseUrl }, queue: { cluster: cluster.nodes }, env: false })
    })
    afterAll(async () => {
      await memory?.close()
      await started?.close()
    })

    it('extracts facts with provenance from jobs that went through the cluster', async () => {
      const userId = uniqueId('user')
      const sessionId = uniqueId('session')
      const session = memory.session(sessionId, { userId })
      await session.addItems([{ role: 'user', content: 'I work at Hooli.' }])
      await memory.flush({ timeoutMs: 30_000 })

      const [fact] = await memory.recall({ userId, query: 'where does the user work?' })
      expect(fact?.content).toBe('Works at Hooli')
      const why = await memory.explain(fact!.id, { userId })
      expect(why.sources.map((s) => ({ sessionId: s.sessionId, item: s.item }))).toEqual([
        { sessionId, item: { role: 'user', content: 'I work at Hooli.' } },
      ])

      // App and worker derived the same hash-tagged queue, and the job ran there.
      expect(started.worker.queueName).toBe(`{${plainName}}`)
      const extraction = new Queue(started.worker.queueName, { connection: inspect })
      try {
        const done = await extraction.getCompleted()
        expect(done.map((job) => (job.data as { sessionId: string }).sessionId)).toContain(sessionId)
      } finally {
        await extraction.close()
      }
    })

    it('runs the lag sweep as a job scheduler on the cluster', async () => {
      const userId = uniqueId('user')
      // Stored without enqueueing (as during a Redis outage): only a sweep finds it.
      await new PostgresSession({ sessionId: uniqueId('session'), userId, db }).addItems([{ role: 'user', content: 'I live in Lisbon.' }])
      const facts = await waitFor(async () => {
        const found = await listFacts(db.db, { userId, namespace: 'default' })
        return found.length > 0 ? found : undefined
      }, 'a sweep to get the lagging session extracted')
      expect(facts.map((f) => f.content)).toEqual(['Lives in Lisbon'])
      await waitFor(async () => log.lines.some((l) => l.message === 'sweep job done' && l.fields.trigger === 'schedule'), 'a scheduled sweep job')

      const sweepQueue = new Queue(sweepQueueName(started.worker.queueName), { connection: inspect })
      try {
        const schedulers = await sweepQueue.getJobSchedulers()
        expect(schedulers.map((s) => ({ key: s.key, every: Number(s.every) }))).toEqual([{ key: SWEEP_SCHEDULER_ID, every: SWEEP_INTERVAL_MS }])
      } finally {
        await sweepQueue.close()
      }
    })

    it('keeps every key of each queue in one hash slot, on one master', async () => {
      const name = started.worker.queueName
      const keys = await scanKeys(inspect, 'bull:*')
      const extractionKeys = keys.filter((k) => k.startsWith(`bull:${name}:`))
      const sweepKeys = keys.filter((k) => k.startsWith(`bull:${sweepQueueName(name)}:`))
      // Job hashes, the wait/delayed/completed sets, the event stream, meta, …: many keys of each.
      expect(extractionKeys.length).toBeGreaterThan(5)
      expect(sweepKeys.length).toBeGreaterThan(3)
      expect(extractionKeys.length + sweepKeys.length).toBe(keys.length)
      for (const queueKeys of [extractionKeys, sweepKeys]) {
        const slots = new Set(await Promise.all(queueKeys.map((key) => inspect.cluster('KEYSLOT', key))))
        expect(slots.size).toBe(1)
      }
      // The sweep queue shares the extraction queue's tag, so both live on one master.
      const holders = []
      for (const node of inspect.nodes('master')) {
        const [, found] = await node.scan('0', 'MATCH', 'bull:*', 'COUNT', 100_000)
        if (found.length > 0) holders.push(node.options.port)
      }
      expect(holders).toHaveLength(1)
    })

    it("forgetUser removes the user's jobs from the cluster", async () => {
      const userId = uniqueId('user')
      const sessionId = uniqueId('session')
      await memory.session(sessionId, { userId }).addItems([{ role: 'user', content: 'I work at Initech.' }])
      await memory.flush({ timeoutMs: 30_000 })
      expect(await keysOfSession(sessionId)).not.toEqual([])
      await memory.forgetUser(userId)
      expect(await keysOfSession(sessionId)).toEqual([])
    })

    it("the test teardown's cleanup finds this run's keys on every master and deletes them", async () => {
      const runTag = process.env[RUN_TAG_ENV]!
      const userId = uniqueId('user')
      const sessionId = uniqueId('session')
      await memory.session(sessionId, { userId }).addItems([{ role: 'user', content: 'I work at Vandelay.' }])
      await memory.flush({ timeoutMs: 30_000 })
      expect(await scanKeys(inspect, `bull:*${runTag}*`)).not.toEqual([])
      expect(await removeRunQueues({ cluster: cluster.nodes }, runTag)).toBeGreaterThan(0)
      expect(await scanKeys(inspect, `bull:*${runTag}*`)).toEqual([])
    })
  })

  describe('without a running worker', () => {
    it('factline sweep enqueues into the hash-tagged queue, and memory.worker() on your Cluster client runs it', async () => {
      const userId = uniqueId('user')
      const sessionId = uniqueId('session')
      await new PostgresSession({ sessionId, userId, db }).addItems([{ role: 'user', content: 'I work at Globex.' }])
      const swept = await sweepFromConfig({ databaseUrl, redisUrl: undefined, redisClusterNodes: cluster.nodes, startupWaitMs: 0 }, { userId })
      expect(swept).toMatchObject({ enqueued: 1, failed: [] })
      expect((await keysOfSession(sessionId)).every((key) => key.startsWith(`bull:{${plainName}}:`))).toBe(true)

      const client = new Cluster(clusterStartup(cluster.nodes).startupNodes, { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } })
      client.on('error', () => {})
      const memory = await createMemory({ database: { url: databaseUrl }, queue: { connection: client }, env: false })
      try {
        const worker = await memory.worker({ sweepIntervalMs: 0 })
        expect(worker.queueName).toBe(`{${plainName}}`)
        const facts = await waitFor(async () => {
          const found = await listFacts(db.db, { userId, namespace: 'default' })
          return found.length > 0 ? found : undefined
        }, "memory.worker() to run the sweep's job")
        expect(facts.map((f) => f.content)).toEqual(['Works at Globex'])
      } finally {
        await memory.close()
        client.disconnect()
      }
    })

    it('the CLI takes REDIS_CLUSTER_NODES: factline sweep enqueues, factline worker extracts and stops on SIGTERM', async () => {
      const userId = uniqueId('user')
      await new PostgresSession({ sessionId: uniqueId('session'), userId, db }).addItems([{ role: 'user', content: 'I live in Porto.' }])
      const { REDIS_URL: _ignored, ...inherited } = process.env
      const env = { ...inherited, DATABASE_URL: databaseUrl, REDIS_CLUSTER_NODES: cluster.nodes.join(',') }

      const swept = await promisify(execFile)(process.execPath, [CLI, 'sweep', '--user', userId, '--json'], { env })
      expect(JSON.parse(swept.stdout)).toEqual({ enqueued: 1, failed: [] })

      const worker = spawn(process.execPath, [CLI, 'worker', '--sweep-interval', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      worker.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve))
      try {
        const facts = await waitFor(async () => {
          const found = await listFacts(db.db, { userId, namespace: 'default' })
          return found.length > 0 ? found : undefined
        }, 'factline worker to extract the swept session')
        expect(facts.map((f) => f.content)).toEqual(['Lives in Porto'])
        expect(stderr).toContain(`"queue":"{${plainName}}"`)
      } finally {
        worker.kill('SIGTERM')
      }
      expect(await exited).toBe(0)
    })

    it('the CLI refuses REDIS_URL and REDIS_CLUSTER_NODES together', async () => {
      const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: cluster.nodes.join(',') }
      const refused = await promisify(execFile)(process.execPath, [CLI, 'sweep'], { env }).catch((error: { code: number; stderr: string }) => error)
      expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('[invalid_config]') })
      expect((refused as { stderr: string }).stderr).toContain('not both')
    })

    it("refuses a worker on a fail-fast Cluster, which would spin on BullMQ's blocking fetch", async () => {
      const failFast = new Cluster(clusterStartup(cluster.nodes).startupNodes, { enableOfflineQueue: false, lazyConnect: true })
      try {
        await expect(
          createExtractionWorker({ db, extractor: new NlpExtractor(), embedder: new HashEmbedder(), connection: failFast, sweepIntervalMs: 0 }),
        ).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('enableOfflineQueue') })
      } finally {
        failFast.disconnect()
      }
    })

    it('createMemory reports a cluster that does not answer as queue_unavailable', async () => {
      await expect(createMemory({ database: { url: databaseUrl }, queue: { cluster: ['redis://127.0.0.1:1'] }, env: false })).rejects.toMatchObject({
        code: 'queue_unavailable',
        message: expect.stringContaining('cluster 127.0.0.1:1'),
      })
    })

    it.skipIf(lacks('redis'))('createMemory says so when the cluster nodes are a single Redis', async () => {
      await expect(createMemory({ database: { url: databaseUrl }, queue: { cluster: [inject('redisUrl')] }, env: false })).rejects.toMatchObject({
        code: 'queue_unavailable',
        message: expect.stringContaining('cluster support disabled'),
      })
    })

    it('a producer on a cluster that went away refuses at once: addItems stores the turn and returns', async () => {
      const memory = await createMemory({ database: { url: databaseUrl }, queue: { cluster: cluster.nodes }, env: false })
      try {
        const userId = uniqueId('user')
        const session = memory.session(uniqueId('session'), { userId })
        await session.addItems([{ role: 'user', content: 'first' }])
        await cluster.stop()
        await session.addItems([{ role: 'user', content: 'I work at Umbrella.' }])
        expect((await session.getItems()).length).toBe(2)
      } finally {
        await memory.close()
      }
    })
  })
})
