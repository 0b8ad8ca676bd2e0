/**
 * A worker process for the crash test: its extractor announces `started <sessionId>` on stdout
 * and then sleeps (SLOW_MS, default 120 s), so the parent can kill it mid-job. SIGTERM closes the
 * worker gracefully and prints `stopped`. Env: DATABASE_URL, REDIS_URL, QUEUE_NAME.
 */
import { createDb } from '../../src/db/create-db.js'
import { HashEmbedder } from '../../src/embed/hash-embedder.js'
import { NlpExtractor } from '../../src/extractors/nlp/nlp-extractor.js'
import { createExtractionWorker } from '../../src/queue/extraction-worker.js'
import { SlowExtractor } from './test-extractors.js'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const handle = await createDb({ url: env('DATABASE_URL') })
const worker = await createExtractionWorker({
  db: handle,
  extractor: new SlowExtractor(new NlpExtractor(), Number(process.env.SLOW_MS ?? 120_000), (input) => {
    process.stdout.write(`started ${input.items[0]?.sessionId}\n`)
  }),
  embedder: new HashEmbedder(),
  connection: { url: env('REDIS_URL') },
  queueName: env('QUEUE_NAME'),
  concurrency: 1,
  lockDuration: 1_000,
  stalledInterval: 500,
  sweepIntervalMs: 0,
})
process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => handle.close())
    .then(() => process.stdout.write('stopped\n'))
})
process.stdout.write('ready\n')
