import type { Redis, RedisOptions } from 'ioredis'

/** A Redis connection: your ioredis client (you close it) or a URL (factline opens and closes one). */
export type RedisConnectionOption = Redis | { url: string }

/** How long a producer waits to reach Redis before giving up on an enqueue. @defaultValue 1000 ms */
export const DEFAULT_PRODUCER_CONNECT_TIMEOUT_MS = 1_000

/**
 * Opens an ioredis client, loading ioredis only now so transcript-only users never load it.
 *
 * - `producer`: fails fast: commands are refused while disconnected (`enableOfflineQueue: false`)
 *   instead of waiting in a queue, so `addItems` never hangs on a dead Redis; the sweep catches up.
 * - `worker`: `maxRetriesPerRequest: null`, as BullMQ requires for blocking commands, so a worker
 *   rides out a Redis restart instead of crashing.
 * @internal
 */
export async function openRedis(url: string, role: 'producer' | 'worker', connectTimeoutMs = DEFAULT_PRODUCER_CONNECT_TIMEOUT_MS): Promise<Redis> {
  const { Redis } = await import('ioredis')
  const options: RedisOptions =
    role === 'producer'
      ? {
          enableOfflineQueue: false,
          connectTimeout: connectTimeoutMs,
          maxRetriesPerRequest: 1,
          // Keep retrying in the background, at least once a second, so the producer is usable
          // again within a second of Redis returning (a worker's reconnect sweep enqueues through it).
          retryStrategy: (times) => Math.min(times * 200, 1_000),
        }
      : { maxRetriesPerRequest: null, enableReadyCheck: true }
  const client = new Redis(url, options)
  // ioredis emits 'error' on every failed reconnect; without a listener Node would crash.
  client.on('error', () => {})
  return client
}

/** True when the option is an ioredis client rather than settings. */
export function isRedisClient(value: RedisConnectionOption): value is Redis {
  return typeof (value as Redis).duplicate === 'function'
}

/**
 * Resolves once `client` is connected and ready; rejects after `timeoutMs`. A fail-fast producer
 * refuses commands while it reconnects, so work that may wait (a sweep) waits here first.
 * @internal
 */
export async function whenReady(client: Redis, timeoutMs: number): Promise<void> {
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
