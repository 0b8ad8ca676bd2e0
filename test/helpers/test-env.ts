import { randomUUID } from 'node:crypto'

/** Dimension of the integration database's embedding column (the hashing embedder's default). */
export const TEST_EMBEDDING_DIMENSIONS = 384

/**
 * A unique id with a readable prefix, so parallel tests never share rows or queues. It carries the
 * run's tag, so the integration teardown can remove exactly this run's queues from Redis.
 */
export function uniqueId(prefix: string): string {
  const runTag = process.env.FACTLINE_TEST_RUN_TAG
  const uuid = randomUUID()
  // The tag takes the uuid's first group, so ids keep their length and shape.
  return runTag ? `${prefix}-${runTag}${uuid.slice(runTag.length)}` : `${prefix}-${uuid}`
}
