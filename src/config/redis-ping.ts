import type { Redis } from 'ioredis'
import { errorMessage, FactlineError } from '../errors.js'
import type { Logger } from '../logger.js'
import { raceTimeout } from '../race-timeout.js'

/** What `createMemory` does when the queue's Redis does not answer at startup. */
export type QueueUnavailablePolicy = 'fail' | 'warn'

const PING_TIMEOUT_MS = 3_000

/**
 * Pings the queue's Redis once at startup, so a dead or wrong Redis is reported by `createMemory`
 * itself and not later as "is a worker running?" from flush().
 * @throws FactlineError `queue_unavailable` when it does not answer and `policy` is `'fail'`
 */
export async function pingQueueRedis(
  target: { url: string } | { connection: Redis },
  policy: QueueUnavailablePolicy,
  logger: Logger,
): Promise<void> {
  const where = 'url' in target ? describeRedisUrl(target.url) : 'your ioredis connection'
  try {
    if ('url' in target) {
      const { Redis } = await import('ioredis')
      const client = new Redis(target.url, { lazyConnect: true, connectTimeout: PING_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null })
      client.on('error', () => {})
      try {
        await client.connect()
        await client.ping()
      } finally {
        client.disconnect()
      }
    } else {
      await raceTimeout(target.connection.ping(), PING_TIMEOUT_MS, () => new Error(`no answer within ${PING_TIMEOUT_MS} ms`))
    }
  } catch (error) {
    const message =
      `Redis for the extraction queue (${where}) does not answer: ${errorMessage(error)}. ` +
      'Start Redis or fix REDIS_URL / queue.url; or pass queue: false to extract in process.'
    if (policy === 'warn') {
      logger.error(`${message} Continuing (queue.onUnavailable: 'warn'): turns are stored, extraction waits for Redis.`, { where })
      return
    }
    throw new FactlineError('queue_unavailable', message, { cause: error, details: { where } })
  }
}

/** host:port/db of a Redis URL, never its password. */
function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '6379'}${u.pathname.length > 1 ? u.pathname : ''}`
  } catch {
    return 'an unparsable URL'
  }
}
