import { randomUUID } from 'node:crypto'
import type { AgentInputItem } from '@openai/agents'
import pg from 'pg'
import { createDb, type FactlineDb } from '../src/db/create-db.js'
import { HashEmbedder } from '../src/embed/hash-embedder.js'
import { NlpExtractor } from '../src/extractors/nlp/nlp-extractor.js'
import { processSessionExtraction } from '../src/extraction/extraction-processor.js'
import { createExtractionQueue, type ExtractionQueue } from '../src/queue/extraction-queue.js'
import { createExtractionWorker, type ExtractionWorker } from '../src/queue/extraction-worker.js'
import { recallFacts } from '../src/recall/recall.js'
import { PostgresSession, type ItemsAddedEvent } from '../src/session/postgres-session.js'
import type { BenchContext } from './lib/context.js'
import { countQueries } from './lib/scratch-db.js'
import { ms, percentile, rate, ratio, sleep, table, timeSerial } from './lib/stats.js'

export interface PipelineBenchOptions {
  workers: number[]
  /** Turns queued for each throughput row. */
  turns: number
  /** Turns per second offered in the steady-load test. */
  rate: number
  steadyTurns: number
  steadyWorkers: number
  coalesce: number[]
}

const embedder = new HashEmbedder({ dimensions: 384 })
const extractor = new NlpExtractor()

/** One user turn the offline NLP extractor turns into two facts (and one excerpt), and the assistant's reply. */
function turn(i: number): AgentInputItem[] {
  return [
    {
      role: 'user',
      content: `I live in Cityville${i}. I prefer TypeScript over Go, and our deploy target is Hetzner eu-central.`,
    },
    {
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Noted: TypeScript, Hetzner eu-central.' }],
    },
  ]
}

/**
 * Extraction throughput by worker count, and addItems → recallable latency under a steady load.
 * Workers are BullMQ workers in this process, each with its own Redis connection and its own
 * two-connection pool, and a job concurrency of 1, so "N workers" means N jobs at a time. They
 * share this process's one JavaScript thread (extraction and embedding are CPU work), and the
 * bench, PostgreSQL and Redis share the machine's cores: separate worker processes would scale
 * further on a machine with more cores.
 */
export async function benchPipeline(ctx: BenchContext, o: PipelineBenchOptions): Promise<string> {
  const app = await createDb({ url: ctx.url, poolSize: 8 })
  const out: string[] = []
  try {
    out.push(
      `**Throughput**: ${o.turns} turns, each in its own session of its own user (one user message the offline NLP extractor ` +
        'turns into two facts and one excerpt, plus the assistant reply), are stored and enqueued first (coalescing delay 0), then the ' +
        'workers start and the clock runs until every session\'s watermark has passed its turn. One job per turn, so no ' +
        'batching helps. Baseline: the same processor called directly, one turn after another, with no queue.',
    )
    const rows: string[][] = []
    ctx.log('pipeline: direct processor baseline')
    const direct = await directBaseline(ctx, o.turns)
    rows.push(['baseline: `processSessionExtraction` in a loop, no queue', rate(direct.turnsPerSec), ms(direct.jobP50), '1×', String(direct.facts)])
    const dbMs = Object.values(direct.kinds).reduce((n, k) => n + k.ms, 0) / o.turns
    const perJob =
      `Where a baseline job's time goes (${direct.statementsPerJob.toFixed(1)} statements per job, counted and timed on the ` +
      `baseline's pool; \`SELECT 1\` p50 on that pool ${ms(direct.selectP50)} ms, so ≈ ${ms(direct.statementsPerJob * direct.selectP50)} ms ` +
      `of pure round trips; mean job ${ms(direct.jobMean)} ms, of which ${ms(dbMs)} ms waiting on PostgreSQL and the rest in Node):\n\n` +
      table(
        ['statement', 'per job', 'ms per job'],
        Object.entries(direct.kinds)
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([k, v]) => [k, (v.count / o.turns).toFixed(1), ms(v.ms / o.turns)]),
      )
    for (const w of o.workers) {
      ctx.log(`pipeline: ${w} worker${w === 1 ? '' : 's'}`)
      const r = await throughput(ctx, app, w, o.turns)
      rows.push([
        `${w} BullMQ worker${w === 1 ? '' : 's'}`,
        rate(r.turnsPerSec),
        ms(r.jobP50),
        ratio(r.turnsPerSec / direct.turnsPerSec),
        String(r.facts),
      ])
    }
    out.push(table(['setup', 'turns/s', 'job run p50 ms', 'vs baseline', 'facts written'], rows), perJob)

    out.push(
      `**addItems → recallable under steady load**: ${o.steadyTurns} turns offered at ${o.rate} turns/s (open loop: a ` +
        `turn starts on schedule whether or not earlier ones are done), ${o.steadyWorkers} workers. The clock starts before ` +
        '`addItems` and stops when the session\'s watermark (committed in the same transaction as the facts) passes the ' +
        'turn, polled every 5 ms; afterwards `recallFacts` confirms each turn\'s fact is recallable. The coalescing delay ' +
        '(a job waits that long so a burst of turns becomes one job) is the floor latency cannot go below; job run is the ' +
        'other floor.',
    )
    const latencyRows: string[][] = []
    for (const coalesceMs of o.coalesce) {
      ctx.log(`pipeline: steady load, coalesce ${coalesceMs} ms`)
      const r = await steadyLoad(ctx, app, o, coalesceMs)
      latencyRows.push([
        `${coalesceMs} ms`,
        rate(r.achieved),
        ms(r.addP50),
        ms(r.addP95),
        ms(r.p50),
        ms(r.p95),
        ms(r.max),
        ms(r.jobP50),
        ms(r.p50 - coalesceMs),
        `${r.recallable}/${r.turns}`,
      ])
    }
    out.push(
      table(
        ['coalesce delay', 'achieved turns/s', 'addItems p50', 'addItems p95', 'recallable p50', 'recallable p95', 'max', 'job run p50', 'p50 − delay', 'recallable'],
        latencyRows,
      ),
    )
  } finally {
    await app.close()
  }
  return out.join('\n\n')
}

async function storeTurns(app: FactlineDb, prefix: string, turns: number, onItemsAdded?: (e: ItemsAddedEvent) => Promise<void>) {
  const ids: string[] = []
  // Eight writers at a time: setup is not what this section measures.
  for (let start = 0; start < turns; start += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, turns - start) }, async (_, j) => {
        const i = start + j
        const sessionId = `${prefix}-${i}`
        ids.push(sessionId)
        const session = new PostgresSession({ sessionId, userId: `${prefix}-user-${i}`, db: app, ...(onItemsAdded ? { onItemsAdded } : {}) })
        await session.addItems(turn(i))
      }),
    )
  }
  return ids
}

async function countFacts(app: FactlineDb, prefix: string): Promise<number> {
  const r = await app.db
    .selectFrom('facts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', 'like', `${prefix}-user-%`)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

async function directBaseline(ctx: BenchContext, turns: number) {
  const pool = new pg.Pool({ connectionString: ctx.url, max: 2 })
  const counter = countQueries(pool)
  const handle = await createDb({ pool })
  try {
    const deps = { db: handle.db, extractor, embedder }
    // Warm-up turns, untimed, so the baseline does not pay for JIT compilation the workers later skip.
    for (const id of await storeTurns(handle, `pw-${randomUUID().slice(0, 8)}`, 10)) await processSessionExtraction(deps, id)
    const prefix = `pd-${randomUUID().slice(0, 8)}`
    const ids = await storeTurns(handle, prefix, turns)
    const jobMs: number[] = []
    counter.reset()
    const started = performance.now()
    for (const id of ids) {
      const t = performance.now()
      await processSessionExtraction(deps, id)
      jobMs.push(performance.now() - t)
    }
    const elapsed = performance.now() - started
    const selectOne = await timeSerial(200, () => pool.query('select 1'))
    const kinds: Record<string, { count: number; ms: number }> = {}
    counter.statements.slice(0, -200).forEach((statement, i) => {
      const kind = (kinds[statementKind(statement)] ??= { count: 0, ms: 0 })
      kind.count++
      kind.ms += counter.durations[i] ?? 0
    })
    return {
      turnsPerSec: (turns * 1000) / elapsed,
      jobP50: percentile(jobMs, 50),
      jobMean: jobMs.reduce((a, b) => a + b, 0) / jobMs.length,
      facts: await countFacts(handle, prefix),
      statementsPerJob: counter.statements.length / turns - 200 / turns,
      selectP50: percentile(selectOne, 50),
      kinds,
    }
  } finally {
    await pool.end()
  }
}

function statementKind(statement: string): string {
  const s = statement.toLowerCase()
  if (/^(begin|commit|rollback)\b/.test(s)) return 'begin/commit'
  const verb = s.split(' ')[0] === 'with' ? (s.match(/\)\s*(select|insert|update|delete)\b/)?.[1] ?? 'with') : s.split(' ')[0]
  const target = s.match(/(?:from|into|update)\s+"?([a-z_]+)"?/)?.[1] ?? (s.includes('advisory') ? '(advisory lock)' : '(no table)')
  return `${verb} ${target}`
}

interface Workers {
  list: ExtractionWorker[]
  handles: FactlineDb[]
  jobMs: number[]
  close(): Promise<void>
}

async function startWorkers(ctx: BenchContext, queueName: string, count: number, autorun: boolean): Promise<Workers> {
  const handles: FactlineDb[] = []
  const list: ExtractionWorker[] = []
  const jobMs: number[] = []
  for (let i = 0; i < count; i++) {
    const handle = await createDb({ url: ctx.url, poolSize: 2 })
    handles.push(handle)
    const worker = await createExtractionWorker({
      db: handle,
      extractor,
      embedder,
      connection: { url: ctx.redisUrl },
      queueName,
      concurrency: 1,
      sweepIntervalMs: 0,
      autorun,
    })
    worker.worker.on('completed', (job) => jobMs.push(job.returnvalue.durationMs))
    await worker.worker.waitUntilReady()
    list.push(worker)
  }
  return {
    list,
    handles,
    jobMs,
    async close() {
      await Promise.all(list.map((w) => w.close()))
      await Promise.all(handles.map((h) => h.close()))
    },
  }
}

async function openQueue(ctx: BenchContext, coalesceMs: number): Promise<ExtractionQueue> {
  return createExtractionQueue({ connection: { url: ctx.redisUrl }, queueName: `factline-bench-${randomUUID()}`, coalesceMs })
}

async function closeQueue(queue: ExtractionQueue) {
  await queue.queue.obliterate({ force: true })
  await queue.close()
}

async function throughput(ctx: BenchContext, app: FactlineDb, workerCount: number, turns: number) {
  const prefix = `pt-${randomUUID().slice(0, 8)}`
  const queue = await openQueue(ctx, 0)
  const workers = await startWorkers(ctx, queue.name, workerCount, false)
  try {
    await storeTurns(app, prefix, turns, queue.onItemsAdded)
    const started = performance.now()
    for (const w of workers.list) void w.worker.run()
    for (;;) {
      const r = await app.db
        .selectFrom('agent_sessions')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('session_id', 'like', `${prefix}-%`)
        .where('extracted_through', '=', 0)
        .executeTakeFirstOrThrow()
      if (Number(r.n) === 0) break
      if (performance.now() - started > 300_000) throw new Error(`pipeline: ${r.n} turns still unprocessed after 5 minutes`)
      await sleep(10)
    }
    const elapsed = performance.now() - started
    return { turnsPerSec: (turns * 1000) / elapsed, jobP50: percentile(workers.jobMs, 50), facts: await countFacts(app, prefix) }
  } finally {
    await workers.close()
    await closeQueue(queue)
  }
}

async function steadyLoad(ctx: BenchContext, app: FactlineDb, o: PipelineBenchOptions, coalesceMs: number) {
  const prefix = `ps-${randomUUID().slice(0, 8)}`
  const queue = await openQueue(ctx, coalesceMs)
  const workers = await startWorkers(ctx, queue.name, o.steadyWorkers, true)
  const inflight = new Map<string, { start: number; through: number }>()
  const latencies: number[] = []
  const addMs: number[] = []
  let producing = true
  const poller = (async () => {
    while (producing || inflight.size > 0) {
      if (inflight.size > 0) {
        const rows = await app.db
          .selectFrom('agent_sessions')
          .select(['session_id', 'extracted_through'])
          .where('session_id', 'in', [...inflight.keys()])
          .execute()
        const now = performance.now()
        for (const r of rows) {
          const entry = inflight.get(r.session_id)
          if (entry && entry.through > 0 && Number(r.extracted_through) >= entry.through) {
            latencies.push(now - entry.start)
            inflight.delete(r.session_id)
          }
        }
      }
      await sleep(5)
    }
  })()
  try {
    const started = performance.now()
    const pending: Array<Promise<void>> = []
    for (let i = 0; i < o.steadyTurns; i++) {
      const due = started + (i * 1000) / o.rate
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      const sessionId = `${prefix}-${i}`
      pending.push(
        (async () => {
          const entry = { start: performance.now(), through: 0 }
          inflight.set(sessionId, entry)
          const session = new PostgresSession({
            sessionId,
            userId: `${prefix}-user-${i}`,
            db: app,
            onItemsAdded: async (e) => {
              entry.through = e.lastMessageId
              await queue.onItemsAdded(e)
            },
          })
          await session.addItems(turn(i))
          addMs.push(performance.now() - entry.start)
        })(),
      )
    }
    await Promise.all(pending)
    const offered = performance.now() - started
    producing = false
    const deadline = performance.now() + 60_000
    while (inflight.size > 0 && performance.now() < deadline) await sleep(20)
    if (inflight.size > 0) throw new Error(`pipeline: ${inflight.size} turns not extracted within 60 s of the last one`)
    await poller
    let recallable = 0
    for (let i = 0; i < o.steadyTurns; i++) {
      const facts = await recallFacts(app, embedder, { userId: `${prefix}-user-${i}`, query: `where does the user live Cityville${i}` })
      if (facts.some((f) => f.content.includes(`Cityville${i}`))) recallable++
    }
    return {
      turns: o.steadyTurns,
      achieved: (o.steadyTurns * 1000) / offered,
      addP50: percentile(addMs, 50),
      addP95: percentile(addMs, 95),
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
      jobP50: percentile(workers.jobMs, 50),
      recallable,
    }
  } finally {
    producing = false
    inflight.clear()
    await poller.catch(() => {})
    await workers.close()
    await closeQueue(queue)
  }
}
