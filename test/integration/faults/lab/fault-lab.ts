/**
 * The fault lab: a private PostgreSQL and Redis, two `workers/extraction-worker.ts` processes and
 * an application process under load; one fault injected mid-load per run, then the ground truth
 * read back in SQL. Shared by the fault suite (test/integration/faults) and the bench's `faults`
 * section.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { createDb } from '../../../../src/db/create-db.js'
import { migrate } from '../../../../src/db/migrate.js'
import { resolveQueueIdentity } from '../../../../src/queue/queue-name.js'
import { checkGroundTruth, harnessPool, watchExtraction, type GroundTruth } from './ground-truth.js'
import { crashed, isRunning, killOnPurpose, spawnChild, stopGracefully, type Child } from './processes.js'
import { startPrivatePostgres, startPrivateRedis } from './servers.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const FAULTS = ['none', 'worker SIGKILL mid-job', 'Redis killed', 'PostgreSQL restart', 'PostgreSQL down'] as const
export type Fault = (typeof FAULTS)[number]

export interface FaultLabOptions {
  /** Users talking at once. @defaultValue 10 */
  sessions?: number
  /** Turns per session (at most 20). @defaultValue 10 */
  turns?: number
  /** Pause between a session's turns. @defaultValue 400 ms */
  turnMs?: number
  /** How long Redis stays down. @defaultValue 10000 ms */
  redisDownMs?: number
  /** How long PostgreSQL stays down. @defaultValue 20000 ms */
  postgresDownMs?: number
  /** Extraction worker processes. @defaultValue 2 */
  workers?: number
  /** Progress lines. */
  log?: (line: string) => void
}

/** One row of the fault table. */
export interface FaultRow extends GroundTruth {
  fault: Fault
  /** Process crashes during the run: the app, and workers that died without being killed on purpose. */
  appCrashes: number
  workerCrashes: number
  /** From the fault's end until every message stored by then was extracted; null if not within 2 minutes. */
  catchUpMs: number | null
  /** Longest time a lagging session's watermark did not move. */
  longestStallMs: number
  /** Errors the app saw, by FactlineError code ('raw' for any other error). */
  appErrors: Record<string, number>
  rawErrors: string[]
  /** What the fault did, e.g. which job the killed worker held. */
  note: string
  /** Worker log lines of the run: jobs taken over from a dead worker, and sweeps after Redis came back. */
  stalledJobs: number
  reconnectSweeps: number
}

const TURN_TEXTS = [
  'Rust', 'Python', 'Haskell', 'Kotlin', 'Swift', 'Elixir', 'Scala', 'Erlang', 'Clojure', 'Julia',
  'Fortran', 'Pascal', 'Prolog', 'Smalltalk', 'Racket', 'Lua', 'Perl', 'Ruby', 'Dart', 'Zig',
].map((thing) => `I love ${thing}.`)

export interface FaultLab {
  readonly databaseUrl: string
  run(fault: Fault): Promise<FaultRow>
  /** Stops the workers gracefully; a worker that does not exit 0 counts as a crash. */
  close(): Promise<{ workerCrashes: number }>
}

export async function openFaultLab(options: FaultLabOptions = {}): Promise<FaultLab> {
  const o = { sessions: 10, turns: 10, turnMs: 400, redisDownMs: 10_000, postgresDownMs: 20_000, workers: 2, log: () => {}, ...options }
  const postgres = await startPrivatePostgres()
  const redis = await startPrivateRedis().catch(async (error: unknown) => {
    await postgres.destroy()
    throw error
  })
  const handle = await createDb({ url: postgres.url })
  await migrate(handle)
  const { name: queueName } = await resolveQueueIdentity(handle.db)
  await handle.close()
  const pool = harnessPool(postgres.url)
  const inspectRedis = new Redis(redis.url, { maxRetriesPerRequest: null })
  inspectRedis.on('error', () => {})
  const inspect = new Queue(queueName, { connection: inspectRedis })
  inspect.on('error', () => {})

  const env = { DATABASE_URL: postgres.url, REDIS_URL: redis.url, FACTLINE_LOG_LEVEL: 'info', FACTLINE_STARTUP_WAIT_MS: '120000' }
  const workers: Child[] = []
  const startWorker = async () => {
    const worker = spawnChild(`worker-${workers.length + 1}`, 'workers/extraction-worker.ts', env)
    workers.push(worker)
    await worker.saw('extraction worker started')
    return worker
  }
  try {
    for (let i = 0; i < o.workers; i++) await startWorker()
  } catch (error) {
    for (const worker of workers) await killOnPurpose(worker)
    await Promise.all([redis.destroy(), postgres.destroy(), pool.end(), inspect.close().catch(() => {})])
    inspectRedis.disconnect()
    throw error
  }
  o.log(`lab ready: PostgreSQL ${postgres.url}, Redis ${redis.url}, ${o.workers} workers`)

  /** SIGKILLs a worker while it holds an active job, and starts a replacement as a supervisor would. */
  const killBusyWorker = async (): Promise<string> => {
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      const active = await inspect.getJobs(['active']).catch(() => [])
      for (const job of active) {
        const victim = workers.find((w) => isRunning(w) && job.processedBy === `${hostname()}-${w.pid}`)
        if (!victim) continue
        await killOnPurpose(victim)
        void startWorker().catch(() => {})
        // A short job may finish between the look and the kill: then no job was held, and none stalls.
        const state = await inspect.getJobState(job.id!).catch(() => 'unknown')
        if (state === 'completed') return `killed ${victim.name} just after its job ${job.id} finished`
        return `killed ${victim.name} holding ${job.id}`
      }
      await sleep(10)
    }
    const victim = workers.find(isRunning)!
    await killOnPurpose(victim)
    void startWorker().catch(() => {})
    return `killed ${victim.name} (no job was active)`
  }

  const inject = async (fault: Fault): Promise<string> => {
    switch (fault) {
      case 'none':
        return 'no fault'
      case 'worker SIGKILL mid-job':
        return killBusyWorker()
      case 'Redis killed':
        await redis.kill()
        await sleep(o.redisDownMs)
        await redis.start()
        return `Redis SIGKILLed, restarted empty after ${o.redisDownMs / 1000} s`
      case 'PostgreSQL restart':
        await postgres.restart()
        return 'pg_ctl restart -m fast'
      case 'PostgreSQL down':
        await postgres.stop()
        await sleep(o.postgresDownMs)
        await postgres.start()
        return `pg_ctl stop -m fast, started again after ${o.postgresDownMs / 1000} s`
    }
  }

  return {
    databaseUrl: postgres.url,
    async run(fault) {
      const prefix = `${fault.replace(/[^a-z]+/gi, '-').toLowerCase()}-${randomUUID().slice(0, 8)}`
      const watch = watchExtraction(pool, prefix)
      const alive = workers.filter(isRunning)
      const seen = new Map(workers.map((w) => [w, w.lines.length]))
      const logged = (text: string) =>
        workers.reduce((n, w) => n + w.lines.slice(seen.get(w) ?? 0).filter((l) => l.includes(text)).length, 0)
      const app = spawnChild('app', 'test/integration/faults/lab/load-app.ts', {
        ...env,
        PREFIX: prefix,
        SESSIONS: String(o.sessions),
        TURNS: String(o.turns),
        TURN_MS: String(o.turnMs),
      })
      await app.saw('started')
      await sleep(Math.min(1_500, (o.turns * o.turnMs) / 3))
      o.log(`${fault}: injecting`)
      const note = await inject(fault)
      const faultEnd = Date.now()
      const targets = await watch.snapshot()
      const caught = await watch.caughtUp(targets, 120_000)
      const catchUpMs = caught ? Date.now() - faultEnd : null
      o.log(`${fault}: ${note}; caught up ${caught ? `after ${catchUpMs} ms` : 'NOT within 2 minutes'}`)
      const appExit = await Promise.race([app.exited, sleep(180_000).then(() => undefined)])
      if (!appExit) await killOnPurpose(app)
      await watch.caughtUp(await watch.snapshot(), 120_000)
      await watch.stop()
      const truth = await checkGroundTruth(pool, prefix, o.sessions, TURN_TEXTS.slice(0, o.turns))
      const result = app.lines.find((l) => l.startsWith('result '))
      const stats = result ? (JSON.parse(result.slice('result '.length)) as { errors: Record<string, number>; rawErrors: string[] }) : undefined
      return {
        fault,
        ...truth,
        appCrashes: crashed(app, appExit) || !appExit ? 1 : 0,
        workerCrashes: alive.filter((w) => !isRunning(w) && !w.killedOnPurpose).length,
        catchUpMs,
        longestStallMs: watch.longestStallMs,
        appErrors: stats?.errors ?? {},
        rawErrors: stats?.rawErrors ?? (appExit ? app.lines.slice(-10) : ['app did not finish']),
        note,
        stalledJobs: logged('extraction job stalled'),
        reconnectSweeps: logged('Redis connection is back'),
      }
    },
    async close() {
      let workerCrashes = 0
      for (const worker of workers) {
        if (worker.killedOnPurpose) continue
        const exit = await stopGracefully(worker)
        if (crashed(worker, exit)) workerCrashes++
      }
      await inspect.close().catch(() => {})
      inspectRedis.disconnect()
      await pool.end()
      await redis.destroy()
      await postgres.destroy()
      return { workerCrashes }
    },
  }
}
