import { sql, type Kysely, type QueryCreator } from 'kysely'
import type { Database } from '../db/schema.js'
import { toVectorLiteral } from '../db/vector.js'
import type { Scope } from '../scope.js'

/**
 * The SQL of the episodic layer (`transcript_excerpts`) lives here: where its reads start, and its
 * one write. Rows are never updated or deleted by factline directly: they go with their message
 * (`on delete cascade`), so every path that removes a message removes its excerpts.
 */

/** A chunk of a transcript message, embedded, ready to be indexed. */
export interface NewExcerpt {
  messageId: number
  chunk: number
  text: string
  embedding: readonly number[]
  /** The message's time. */
  at: Date
}

/**
 * `select … from transcript_excerpts where user_id = $1 and namespace = $2`: where every excerpt
 * read starts, as `scopedFacts` is for facts, so no query can forget the scope.
 */
export function scopedExcerpts(db: QueryCreator<Database>, scope: Scope) {
  return db
    .selectFrom('transcript_excerpts')
    .where('transcript_excerpts.user_id', '=', scope.userId)
    .where('transcript_excerpts.namespace', '=', scope.namespace)
}

/**
 * Indexes chunks of one session's messages for its owner, in one statement. A chunk already
 * indexed is left alone (`on conflict do nothing` on `(message_id, chunk)`), so indexing is
 * idempotent; the caller writes it in the same transaction as the extraction watermark.
 */
export async function insertExcerpts(
  db: Kysely<Database>,
  scope: Scope,
  sessionId: string,
  excerpts: readonly NewExcerpt[],
): Promise<number> {
  if (excerpts.length === 0) return 0
  const rows = await db
    .insertInto('transcript_excerpts')
    .values(
      excerpts.map((e) => ({
        user_id: scope.userId,
        namespace: scope.namespace,
        session_id: sessionId,
        message_id: e.messageId,
        chunk: e.chunk,
        text: e.text,
        embedding: e.embedding.length > 0 ? toVectorLiteral(e.embedding) : null,
        at: e.at,
      })),
    )
    .onConflict((oc) => oc.columns(['user_id', 'message_id', 'chunk']).doNothing())
    .returning('transcript_excerpts.id')
    .execute()
  return rows.length
}

/** How many excerpts a scope has (for tests, the CLI and the eval harness). */
export async function countExcerpts(db: Kysely<Database>, scope: Scope): Promise<number> {
  const row = await scopedExcerpts(db, scope).select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}
