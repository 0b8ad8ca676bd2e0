/**
 * The extraction worker process: `node dist/workers/extraction-worker.js` (or `factline worker`).
 * Env: DATABASE_URL, REDIS_URL (or REDIS_CLUSTER_NODES for a Redis Cluster), optional OPENAI_API_KEY / OPENAI_BASE_URL, FACTLINE_WORKER_CONCURRENCY.
 * Scale by running more of these; SIGTERM/SIGINT finish running jobs before exiting.
 */
import { configFromEnv } from '../src/config/env.js'
import { waitForShutdownSignal } from '../src/config/shutdown-signals.js'
import { startWorkerFromConfig } from '../src/config/start-worker.js'
import { createJsonLogger } from '../src/logger.js'
import { errorMessage } from '../src/errors.js'

const config = configFromEnv()
const logger = createJsonLogger(config.logLevel)
const started = await startWorkerFromConfig(config, { logger })

const shutdown = waitForShutdownSignal()
const signal = await shutdown.signal
logger.info('shutting down: finishing running jobs', { signal })
try {
  await started.close()
  logger.info('worker stopped')
} catch (error) {
  logger.error('shutdown failed', { error: errorMessage(error) })
  process.exitCode = 1
} finally {
  shutdown.release()
}
