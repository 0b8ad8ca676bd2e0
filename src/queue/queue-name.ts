import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { readDatabaseId } from '../db/database-id.js'
import type { Database } from '../db/schema.js'
import { EXTRACTION_QUEUE_NAME } from './job-ids.js'
import { jobUserKey } from './sealed-user.js'

/** The queue a database's jobs go through, and the tag its jobs carry. */
export interface QueueIdentity {
  /** `factline-extraction-<tag>` unless a name was configured. */
  name: string
  /** A short hash of the database's id; the worker refuses jobs carrying another. */
  databaseTag: string
  /** Seals the user id a job carries (see `sealed-user.ts`). */
  jobKey: Buffer
}

/** The first 12 hex digits of the SHA-256 of a database id: short, and says nothing about the id. */
export function databaseTag(databaseId: string): string {
  return createHash('sha256').update(databaseId).digest('hex').slice(0, 12)
}

/** The default queue name of a database: `factline-extraction-<tag>`. */
export function defaultQueueName(tag: string): string {
  return `${EXTRACTION_QUEUE_NAME}-${tag}`
}

/**
 * The queue name (`name` when configured, else the database's default) and the database's tag.
 * The app, `factline worker` and `factline sweep` all resolve it from the same database, so they
 * agree on the queue without configuration, and deployments sharing a Redis stay apart.
 */
export async function resolveQueueIdentity(db: Kysely<Database>, name?: string | undefined): Promise<QueueIdentity> {
  const id = await readDatabaseId(db)
  const tag = databaseTag(id)
  return { name: name ?? defaultQueueName(tag), databaseTag: tag, jobKey: jobUserKey(id) }
}
