import { Cluster, Redis } from 'ioredis'
import { clusterStartup } from '../../src/queue/redis-cluster-nodes.js'
import { scanKeys } from '../../src/queue/scan-keys.js'

/**
 * Deletes every BullMQ key of the queues this run created (their names carry `runTag`, see uniqueId),
 * so a test run leaves nothing in a shared Redis and never touches another run's queues. `redis` is
 * a URL, or a Redis Cluster's node URLs (hash-tagged queue names, `bull:{name}:…`, match the same way).
 * @returns the number of keys deleted
 */
export async function removeRunQueues(redis: string | { cluster: readonly string[] }, runTag: string): Promise<number> {
  const client =
    typeof redis === 'string'
      ? new Redis(redis, { maxRetriesPerRequest: 1 })
      : new Cluster(clusterStartup(redis.cluster).startupNodes, { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { maxRetriesPerRequest: 1 } })
  try {
    if (client instanceof Cluster) await client.connect()
    const keys = await scanKeys(client, `bull:*${runTag}*`)
    let deleted = 0
    if (client instanceof Redis) {
      for (let i = 0; i < keys.length; i += 1_000) deleted += await client.unlink(...keys.slice(i, i + 1_000))
    } else {
      // A multi-key command must stay in one slot on a cluster: one key at a time.
      for (const key of keys) deleted += await client.unlink(key)
    }
    return deleted
  } finally {
    client.disconnect()
  }
}
