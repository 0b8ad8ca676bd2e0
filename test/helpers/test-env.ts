import { randomUUID } from 'node:crypto'

/** Dimension of the integration database's embedding column (the hashing embedder's default). */
export const TEST_EMBEDDING_DIMENSIONS = 384

/** A unique id with a readable prefix, so parallel tests never share rows or queues. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`
}
