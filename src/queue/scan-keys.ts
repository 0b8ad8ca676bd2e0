import type { Redis } from 'ioredis'
import { isCluster, type RedisClient } from './redis-connection.js'

/**
 * Every key matching the glob `pattern`, by `SCAN`. On a Redis Cluster `SCAN` sees one node's keys
 * only, so every master is scanned.
 */
export async function scanKeys(client: RedisClient, pattern: string, count = 1_000): Promise<string[]> {
  const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client]
  const found: string[] = []
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count)
      cursor = next
      found.push(...keys)
    } while (cursor !== '0')
  }
  return found
}
