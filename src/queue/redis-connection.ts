import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis'
import { clusterStartup } from './redis-cluster-nodes.js'

/** An ioredis client: one Redis server, or a Redis Cluster. */
export type RedisClient = Redis | Cluster

/** Where factline opens its own Redis connections: one server by URL, or a cluster by its nodes. */
export type RedisTarget = { url: string } | { cluster: readonly string[] }

/** A Redis connection: your ioredis client or `Cluster` (you close it), or where to open one (factline opens and closes it). */
export type RedisConnectionOption = RedisClient | RedisTarget

/** How long a producer waits to reach Redis before giving up on an enqueue. @defaultValue 1000 ms */
export const DEFAULT_PRODUCER_CONNECT_TIMEOUT_MS = 1_000

// Keep retrying in the background, at least once a second, so the producer is usable again within
// a second of Redis returning (a worker's reconnect sweep enqueues through it).
const producerRetry = (times: number) => Math.min(times * 200, 1_000)

/**
 * Opens an ioredis client (a `Cluster` for `{ cluster }`), loading ioredis only now so
 * transcript-only users never load it.
 *
 * - `producer`: fails fast: commands are refused while disconnected (`enableOfflineQueue: false`)
 *   instead of waiting in a queue, so `addItems` never hangs on a dead Redis; the sweep catches up.
 * - `worker`: `maxRetriesPerRequest: null`, as BullMQ requires for blocking commands, so a worker
 *   rides out a Redis restart instead of crashing.
 *
 * On a cluster the same settings are split as ioredis wants them: `enableOfflineQueue` and the
 * reconnect strategy on the cluster, the rest in `redisOptions` for every node.
 * @internal
 */
export async function openRedis(
  target: RedisTarget,
  role: 'producer' | 'worker',
  connectTimeoutMs = DEFAULT_PRODUCER_CONNECT_TIMEOUT_MS,
): Promise<RedisClient> {
  const { Redis, Cluster } = await import('ioredis')
  let client: RedisClient
  if ('cluster' in target) {
    const { startupNodes, nodeOptions } = clusterStartup(target.cluster)
    const options: ClusterOptions =
      role === 'producer'
        ? {
            enableOfflineQueue: false,
            clusterRetryStrategy: producerRetry,
            redisOptions: { ...nodeOptions, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 1 },
          }
        : { enableReadyCheck: true, redisOptions: { ...nodeOptions, maxRetriesPerRequest: null } }
    client = new Cluster(startupNodes, options)
  } else {
    const options: RedisOptions =
      role === 'producer'
        ? { enableOfflineQueue: false, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 1, retryStrategy: producerRetry }
        : { maxRetriesPerRequest: null, enableReadyCheck: true }
    client = new Redis(target.url, options)
  }
  // ioredis emits 'error' on every failed reconnect; without a listener Node would crash.
  client.on('error', () => {})
  return client
}

/**
 * A new connection to the same Redis (or cluster) as your `client`, with the producer's fail-fast
 * or the worker's blocking-safe settings laid over yours. A worker's copy queues commands while
 * disconnected even when your client fails fast: BullMQ's blocking fetch, refused at once while a
 * cluster is not ready, would otherwise retry in a busy loop. Factline owns and closes the copy.
 * @internal
 */
export function duplicateRedis(client: RedisClient, role: 'producer' | 'worker'): RedisClient {
  let copy: RedisClient
  if (isCluster(client)) {
    const nodeOptions = client.options.redisOptions ?? {}
    copy = client.duplicate(
      [],
      role === 'producer'
        ? { enableOfflineQueue: false, clusterRetryStrategy: producerRetry, redisOptions: { ...nodeOptions, maxRetriesPerRequest: 1 } }
        : { enableOfflineQueue: true, redisOptions: { ...nodeOptions, maxRetriesPerRequest: null } },
    )
  } else {
    copy = client.duplicate(
      role === 'producer'
        ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: producerRetry }
        : { enableOfflineQueue: true, maxRetriesPerRequest: null },
    )
  }
  copy.on('error', () => {})
  return copy
}

/** True when the option is an ioredis client (a `Redis` or a `Cluster`) rather than settings. */
export function isRedisClient(value: RedisConnectionOption): value is RedisClient {
  return typeof (value as RedisClient).duplicate === 'function'
}

/** True when `client` is an ioredis `Cluster`. */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster === true
}

/**
 * Resolves once `client` is connected and ready; rejects after `timeoutMs`. A fail-fast producer
 * refuses commands while it reconnects, so work that may wait (a sweep) waits here first.
 * @internal
 */
export async function whenReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady)
      reject(new Error(`Redis not ready within ${timeoutMs} ms (connection ${client.status})`))
    }, timeoutMs)
    const onReady = () => {
      clearTimeout(timer)
      resolve()
    }
    client.once('ready', onReady)
  })
}
