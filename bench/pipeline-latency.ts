/**
 * How long from `addItems` until the fact is recallable, through Redis and a BullMQ worker?
 *
 *   npx tsx bench/pipeline-latency.ts [--turns 100] [--coalesce 0,250] [--concurrency 4]
 *
 * Creates a scratch database `factline_bench_<random>` next to DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) with 384-dim embeddings, uses REDIS_URL (default
 * redis://127.0.0.1:6379) with a fresh queue name, and runs an extraction worker in this process
 * on its own pool and Redis connection (offline NLP extractor, hashing embedder: no network). Each turn
 * is one user message ("I live in City-N.") in a fresh session of a fresh user; the clock starts
 * before `addItems` and stops when `recallFacts` first returns the fact (polled every 5 ms). Turns
 * run one after another, so this is unloaded latency; the coalescing delay (a job waits that long
 * so bursts of turns share one job) is part of it, which is why each setting gets its own row.
 * Drops the database at the end.
 */
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createDb } from '../src/db/create-db.js'
import { migrate } from '../src/db/migrate.js'
import { HashEmbedder } from '../src/embed/hash-embedder.js'
import { NlpExtractor } from '../src/extractors/nlp/nlp-extractor.js'
import { createExtractionQueue } from '../src/queue/extraction-queue.js'
import { createExtractionWorker } from '../src/queue/extraction-worker.js'
import { recallFacts } from '../src/recall/recall.js'
import { PostgresSession } from '../src/session/postgres-session.js'
import { createScratchDb } from './lib/scratch-db.js'

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '100' },
    coalesce: { type: 'string', default: '0,250' },
    concurrency: { type: 'string', default: '4' },
    url: { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  },
})
const turns = Number(args.turns)
const coalesceSettings = args.coalesce.split(',').map(Number)

const scratch = await createScratchDb(args.url)

const embedder = new HashEmbedder({ dimensions: 384 })
const rows: string[] = []
const app = await createDb({ url: scratch.url })
const workerDb = await createDb({ url: scratch.url })
try {
  await migrate(app, { embeddingDimensions: 384 })
  for (const coalesceMs of coalesceSettings) {
    const queueName = `bench-${randomUUID()}`
    const queue = await createExtractionQueue({ connection: { url: args.redis }, queueName, coalesceMs })
    const worker = await createExtractionWorker({
      db: workerDb,
      extractor: new NlpExtractor(),
      embedder,
      connection: { url: args.redis },
      queueName,
      concurrency: Number(args.concurrency),
      sweepIntervalMs: 0,
    })
    await worker.worker.waitUntilReady()
    const jobMs: number[] = []
    worker.worker.on('completed', (job) => jobMs.push(job.returnvalue.durationMs))
    const addMs: number[] = []
    const totalMs: number[] = []
    for (let i = 0; i < turns; i++) {
      const userId = `bench-user-${randomUUID()}`
      const city = `Cityville${i}`
      const session = new PostgresSession({ sessionId: randomUUID(), userId, db: app, onItemsAdded: queue.onItemsAdded })
      const start = performance.now()
      await session.addItems([{ role: 'user', content: `I live in ${city}.` }])
      addMs.push(performance.now() - start)
      for (;;) {
        const found = await recallFacts(app, embedder, { userId, namespace: 'default', query: `where does the user live ${city}` })
        if (found.some((f) => f.content.includes(city))) break
        if (performance.now() - start > 30_000) throw new Error(`turn ${i}: fact not recallable after 30 s`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      totalMs.push(performance.now() - start)
    }
    await worker.close()
    await queue.close()
    rows.push(
      `| ${coalesceMs} ms | ${turns} | ${fmt(pct(addMs, 50))} | ${fmt(pct(addMs, 95))} | ${fmt(pct(totalMs, 50))} | ${fmt(pct(totalMs, 95))} | ${fmt(Math.max(...totalMs))} | ${fmt(pct(jobMs, 50))} |`,
    )
  }
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`)
  process.exitCode = 1
} finally {
  await workerDb.close()
  await app.close()
  await scratch.drop()
}

process.stdout.write(
  [
    `addItems → fact recallable through Redis + BullMQ worker (offline NLP extractor, hashing embedder, Node ${process.version})`,
    '',
    '| coalesce delay | turns | addItems p50 | addItems p95 | recallable p50 | recallable p95 | max | job run p50 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
)

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`
}
