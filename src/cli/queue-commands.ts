import { parseArgs } from 'node:util'
import { configFromEnv } from '../config/env.js'
import { createJsonLogger } from '../logger.js'
import { waitForShutdownSignal } from '../config/shutdown-signals.js'
import { startWorkerFromConfig, sweepFromConfig } from '../config/start-worker.js'
import { integerFlag } from './cli-args.js'
import { toJsonLine, toTerminal } from './terminal-text.js'
import { FactlineError } from '../errors.js'

export const WORKER_HELP = `Usage: factline worker [--concurrency N] [--sweep-interval MS] [--queue NAME]

Runs the extraction worker until SIGTERM/SIGINT, then finishes running jobs and exits.
  --concurrency N        jobs at once (default: $FACTLINE_WORKER_CONCURRENCY, else 4)
  --sweep-interval MS    how often to re-enqueue lagging sessions; 0 disables (default: 60000)
  --queue NAME           queue to take jobs from (default: factline-extraction-<database tag>,
                         the name the app uses for the same database; set it only if the app does)
Environment: DATABASE_URL and REDIS_URL (required; for a Redis Cluster REDIS_CLUSTER_NODES=redis://h1:7000,
redis://h2:7000 instead), OPENAI_API_KEY / OPENAI_BASE_URL (optional: without a key the offline NLP
extractor and hashing embedder are used). Logs are JSON lines on stderr.
`

export const SWEEP_HELP = `Usage: factline sweep [--user ID] [--queue NAME] [--json]

Enqueues extraction for every session whose extraction watermark lags its newest message
(e.g. turns stored while Redis was down). Exits 1 if any session could not be enqueued.
  --user ID       only this user's sessions
  --queue NAME    queue to enqueue into (default: factline-extraction-<database tag>)
  --json       print the result as JSON
Environment: DATABASE_URL and REDIS_URL, or REDIS_CLUSTER_NODES for a Redis Cluster (required).
`

/** `factline worker`: resolves with an exit code once a signal has stopped the worker cleanly. */
export async function runWorkerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      concurrency: { type: 'string' },
      'sweep-interval': { type: 'string' },
      queue: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(WORKER_HELP)
    return 0
  }
  const config = configFromEnv()
  const concurrency = integerFlag('--concurrency', values.concurrency)
  const sweepIntervalMs = integerFlag('--sweep-interval', values['sweep-interval'], 0)
  const logger = createJsonLogger(config.logLevel)
  const started = await startWorkerFromConfig(
    { ...config, ...(concurrency !== undefined ? { workerConcurrency: concurrency } : {}) },
    { logger, queueName: queueFlag(values.queue), ...(sweepIntervalMs !== undefined ? { sweepIntervalMs } : {}) },
  )
  const shutdown = waitForShutdownSignal()
  try {
    const signal = await shutdown.signal
    logger.info('shutting down: finishing running jobs', { signal })
    await started.close()
    logger.info('worker stopped')
    return 0
  } finally {
    shutdown.release()
  }
}

/** `factline sweep`. */
export async function runSweepCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      user: { type: 'string' },
      queue: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(SWEEP_HELP)
    return 0
  }
  const result = await sweepFromConfig(configFromEnv(), { userId: values.user, queueName: queueFlag(values.queue) })
  const failed = result.failed.map((f) => ({ sessionId: f.sessionId, error: f.error.message }))
  if (values.json) process.stdout.write(toJsonLine({ enqueued: result.enqueued, failed }))
  else {
    process.stdout.write(`enqueued ${result.enqueued} session(s)${failed.length ? `, ${failed.length} failed` : ''}\n`)
    for (const f of failed) process.stderr.write(toTerminal(`  ${f.sessionId}: ${f.error}\n`))
  }
  return failed.length > 0 ? 1 : 0
}

function queueFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (value.trim() === '') throw new FactlineError('invalid_argument', '--queue needs a queue name')
  return value
}
