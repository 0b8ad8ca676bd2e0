import { Redis } from 'ioredis'

/**
 * Deletes every BullMQ key of the queues this run created (their names carry `runTag`, see uniqueId),
 * so a test run leaves nothing in a shared Redis and never touches another run's queues.
 * @returns the number of keys deleted
 */
export async function removeRunQueues(redisUrl: string, runTag: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  try {
    let deleted = 0
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:*${runTag}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) deleted += await redis.unlink(...keys)
    } while (cursor !== '0')
    return deleted
  } finally {
    redis.disconnect()
  }
}
