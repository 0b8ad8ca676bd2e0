import { errorMessage, FactlineError } from '../errors.js'
import type { Logger } from '../logger.js'
import { clusterStartup, describeClusterNodes } from '../queue/redis-cluster-nodes.js'
import { isRedisClient, type RedisClient, type RedisTarget } from '../queue/redis-connection.js'
import { raceTimeout } from '../race-timeout.js'

/** What `createMemory` does when the queue's Redis does not answer at startup. */
export type QueueUnavailablePolicy = 'fail' | 'warn'

const PING_TIMEOUT_MS = 3_000

/**
 * Pings the queue's Redis (or Redis Cluster) once at startup, so a dead or wrong Redis is reported
 * by `createMemory` itself and not later as "is a worker running?" from flush().
 * @throws FactlineError `queue_unavailable` when it does not answer and `policy` is `'fail'`
 */
export async function pingQueueRedis(target: RedisClient | RedisTarget, policy: QueueUnavailablePolicy, logger: Logger): Promise<void> {
  const where = describeTarget(target)
  try {
    const timeout = () => new Error(`no answer within ${PING_TIMEOUT_MS} ms`)
    // A URL's one connection attempt ends by its connect timeout; a client or a cluster's nodes may take longer.
    if (isRedisClient(target)) await raceTimeout(readyThenPing(target), PING_TIMEOUT_MS, timeout)
    else if ('url' in target) await pingOnce(target)
    else await raceTimeout(pingOnce(target), PING_TIMEOUT_MS, timeout)
  } catch (error) {
    const message =
      `Redis for the extraction queue (${where}) does not answer: ${errorMessage(error)}. ` +
      'Start Redis or fix REDIS_URL / REDIS_CLUSTER_NODES / queue.url / queue.cluster; or pass queue: false to extract in process.'
    if (policy === 'warn') {
      logger.error(`${message} Continuing (queue.onUnavailable: 'warn'): turns are stored, extraction waits for Redis.`, { where })
      return
    }
    throw new FactlineError('queue_unavailable', message, { cause: error, details: { where } })
  }
}

/**
 * Pings your client once it is connected: a fail-fast client (`enableOfflineQueue: false`) that is
 * still connecting, e.g. a Cluster made just before `createMemory`, refuses commands until then.
 */
async function readyThenPing(client: RedisClient): Promise<void> {
  if (['connecting', 'connect', 'reconnecting'].includes(client.status)) {
    await new Promise<void>((resolve) => client.once('ready', () => resolve()))
  }
  await client.ping()
}

/** Connects once without retrying, pings, and disconnects. */
async function pingOnce(target: RedisTarget): Promise<void> {
  const { Redis, Cluster } = await import('ioredis')
  const noRetry = { connectTimeout: PING_TIMEOUT_MS, maxRetriesPerRequest: 0 }
  let client: RedisClient
  if ('cluster' in target) {
    const { startupNodes, nodeOptions } = clusterStartup(target.cluster)
    client = new Cluster(startupNodes, { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { ...nodeOptions, ...noRetry } })
  } else {
    client = new Redis(target.url, { lazyConnect: true, ...noRetry, retryStrategy: () => null })
  }
  // A cluster's connect() rejects with "None of startup nodes is available"; why is in its error events
  // (e.g. "cluster support disabled" when the node is a single Redis).
  let why: Error | undefined
  client.on('error', (error: Error & { lastNodeError?: Error }) => {
    why = error.lastNodeError ?? error
  })
  try {
    await client.connect().catch((error: unknown) => {
      throw why && 'cluster' in target ? new Error(`${errorMessage(error)}: ${why.message}`, { cause: error }) : error
    })
    await client.ping()
  } finally {
    client.disconnect()
  }
}

function describeTarget(target: RedisClient | RedisTarget): string {
  if (isRedisClient(target)) return target.isCluster ? 'your ioredis Cluster' : 'your ioredis connection'
  return 'cluster' in target ? describeClusterNodes(target.cluster) : describeRedisUrl(target.url)
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
