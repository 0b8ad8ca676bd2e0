import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { embedTexts } from '../embed/embed-texts.js'
import type { Embedder } from '../embed/embedder.js'
import { excerptEmbeddingText, isIndexedRole, questionBefore, splitIntoChunks, type ExcerptIndexConfig } from '../recall/excerpt-chunks.js'
import { insertExcerpts, type NewExcerpt } from '../recall/excerpts-table.js'
import { decodeItem } from '../session/item-codec.js'
import { messageRole, previousMessageData } from '../session/messages-table.js'
import { itemText } from '../session/item-text.js'
import { NO_USER_TENANT_PREFIX } from '../tenant.js'

/**
 * Indexes the messages extraction has passed (at or below their session's watermark) that have no
 * excerpt: sessions extracted before the episodic layer existed, which extraction will never read
 * again. Batches in message id order, one embedder call and one transaction each; a message
 * indexed meanwhile (by extraction) is skipped by the unique `(message_id, chunk)`, and one deleted
 * meanwhile is left out, so the pass is idempotent and safe beside running workers.
 */
export async function indexUnindexedMessages(
  db: Kysely<Database>,
  embedder: Embedder,
  o: { batchSize: number; config: ExcerptIndexConfig; signal?: AbortSignal | undefined },
): Promise<{ messages: number; excerpts: number }> {
  const roles = o.config.assistant ? ['user', 'assistant'] : ['user']
  const counts = { messages: 0, excerpts: 0 }
  let after = 0
  for (;;) {
    const rows = await db
      .selectFrom('agent_messages as m')
      .innerJoin('agent_sessions as s', (join) => join.onRef('s.user_id', '=', 'm.user_id').onRef('s.session_id', '=', 'm.session_id'))
      .select(['m.id', 'm.session_id', 'm.created_at', 's.user_id', 's.namespace', sql<string>`m.message_data::text`.as('data')])
      // The user or assistant message before it, for the question a reply answers (`questionsAnswered`).
      .select(previousMessageData({ userId: sql.ref('m.user_id'), sessionId: 'm.session_id', id: 'm.id' }).as('previous'))
      // Sessions with a user only: the others carry the reserved tenant (see `tenantOf`).
      .where(sql<boolean>`left(s.user_id, 1) <> ${NO_USER_TENANT_PREFIX}`)
      .whereRef('m.id', '<=', 's.extracted_through')
      .where('m.id', '>', after)
      // Cheap pre-filter on the stored JSON; `isIndexedRole` below decides.
      .where(messageRole('m.message_data'), 'in', roles)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('transcript_excerpts as e').select(sql.lit(1).as('one')).whereRef('e.user_id', '=', 'm.user_id').whereRef('e.message_id', '=', 'm.id'))),
      )
      .orderBy('m.id')
      .limit(o.batchSize)
      .execute()
    if (rows.length === 0) break
    after = Number(rows[rows.length - 1]!.id)

    // Keyed by user and session: on Citus two users may use the same session id.
    type PendingExcerpt = Omit<NewExcerpt, 'embedding'> & { embeddingText: string }
    const bySession = new Map<string, { userId: string; sessionId: string; namespace: string; excerpts: PendingExcerpt[] }>()
    for (const row of rows) {
      const { role, text } = itemText(decodeItem(row.data))
      if (!isIndexedRole(role, o.config)) continue
      const chunks = splitIntoChunks(text.replaceAll('\u0000', ''), o.config)
      if (chunks.length === 0) continue
      const key = JSON.stringify([row.user_id, row.session_id])
      const group = bySession.get(key) ?? { userId: row.user_id, sessionId: row.session_id, namespace: row.namespace, excerpts: [] }
      bySession.set(key, group)
      const messageId = Number(row.id)
      const question = questionBefore(role, row.previous)
      chunks.forEach((chunk, i) =>
        group.excerpts.push({
          messageId,
          chunk: i,
          text: chunk,
          at: new Date(row.created_at),
          embeddingText: excerptEmbeddingText({ chunk: i, text: chunk }, question),
        }),
      )
    }
    const pending = [...bySession.values()].flatMap((g) => g.excerpts)
    if (pending.length === 0) continue
    const vectors = await embedTexts(embedder, pending.map((e) => e.embeddingText), o.signal)
    const embedded = new Map(pending.map((e, i) => [e, vectors[i]!]))
    await db.transaction().execute(async (trx) => {
      for (const { sessionId, ...group } of bySession.values()) {
        // Locked so none is deleted before the commit; a message deleted already is left out. Per
        // user, so on Citus each lock is a one-shard statement (it refuses a multi-shard FOR SHARE).
        const ids = group.excerpts.map((e) => e.messageId)
        const present = new Set(
          (
            await trx.selectFrom('agent_messages').select('id').where('user_id', '=', group.userId).where('id', 'in', ids).forKeyShare().execute()
          ).map((r) => Number(r.id)),
        )
        const excerpts = group.excerpts
          .filter((e) => present.has(e.messageId))
          .map((e) => {
            const { embeddingText: _, ...excerpt } = e
            return { ...excerpt, embedding: embedded.get(e)! }
          })
        const inserted = await insertExcerpts(trx, { userId: group.userId, namespace: group.namespace }, sessionId, excerpts)
        counts.excerpts += inserted
        if (inserted > 0) counts.messages += new Set(excerpts.map((e) => e.messageId)).size
      }
    })
  }
  return counts
}
