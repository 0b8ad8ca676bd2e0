/**
 * The extraction worker process: `node dist/workers/extraction-worker.js` (or `factline worker`).
 * Env: DATABASE_URL, REDIS_URL, optional OPENAI_API_KEY / OPENAI_BASE_URL, FACTLINE_WORKER_CONCURRENCY.
 * Scale by running more of these; SIGTERM/SIGINT finish running jobs before exiting.
 */
import { configFromEnv } from '../src/config/env.js'
import { createJsonLogger } from '../src/logger.js'
import { startWorkerFromConfig } from '../src/config/start-worker.js'

const config = configFromEnv()
const logger = createJsonLogger(config.logLevel)
const started = await startWorkerFromConfig(config, { logger })

let stopping = false
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return
  stopping = true
  logger.info('shutting down: finishing running jobs', { signal })
  started.close().then(
    () => logger.info('worker stopped'),
    (error: unknown) => {
      logger.error('shutdown failed', { error: (error as Error).message })
      process.exitCode = 1
    },
  )
}
// `on`, not `once`: the Agents SDK's tracing calls process.exit() on these signals when it sees no
// other listener, which would abandon running jobs mid-shutdown. `stopping` ignores repeats.
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
