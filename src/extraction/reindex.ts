import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import { changeEmbeddingDimensions } from '../../migrations/change-embedding-dimensions.js'
import type { FactlineDb } from '../db/create-db.js'
import { readEmbedderRecord, EMBEDDER_META_KEY } from '../db/embedder-record.js'
import { assertMigrated, readEmbeddingDimensions } from '../db/migrate.js'
import type { Database } from '../db/schema.js'
import { toVectorLiteral } from '../db/vector.js'
import { embedTexts } from '../embed/embed-texts.js'
import type { Embedder } from '../embed/embedder.js'
import { parseOrThrow } from '../errors.js'
import { quietLogger, type Logger } from '../logger.js'
import { DEFAULT_EXCERPT_INDEX, excerptEmbeddingText, questionBefore, type ExcerptIndexConfig } from '../recall/excerpt-chunks.js'
import { messageRole, previousMessageData } from '../session/messages-table.js'
import { indexUnindexedMessages } from './reindex-messages.js'

/** Meta key holding an unfinished reindex: its target embedder and how far each table got. */
export const REINDEX_META_KEY = 'reindex'

export const ReindexOptionsSchema = z.strictObject({
  /** Rows embedded per embedder call and committed per transaction. @defaultValue 256 */
  batchSize: z.number().int().min(1).max(10_000).default(256),
  /** Re-embed even when the recorded embedder is already this one. @defaultValue false */
  force: z.boolean().default(false),
})
export type ReindexOptions = z.input<typeof ReindexOptionsSchema>

/** What `reindex` did. Counts are of this call (a resumed run counts only what it did itself). */
export interface ReindexResult {
  /** The embedder recorded before, and the one recorded now. */
  previousEmbedder: string | undefined
  embedder: string
  /** The vector columns' dimension before and after (they differ when the embedder's does). */
  previousDimensions: number
  dimensions: number
  /** This call continued a reindex an earlier call left unfinished. */
  resumed: boolean
  /** Facts (every status) and excerpts re-embedded. */
  facts: number
  excerpts: number
  /** Messages never indexed (sessions from before the episodic layer) now indexed, and their chunks. */
  indexedMessages: number
  indexedExcerpts: number
}

/** Progress of an unfinished reindex, stored as JSON under {@link REINDEX_META_KEY}. */
const ProgressSchema = z.object({
  target: z.string(),
  /** Last fact id done, in id order; null before the first batch. */
  fact: z.string().nullable(),
  /** Last excerpt id done; 0 before the first batch. */
  excerpt: z.number(),
})
type Progress = z.infer<typeof ProgressSchema>

/**
 * Moves a database to `embedder`: re-embeds every fact and transcript excerpt with it, then records
 * it as the maker of the stored vectors; and indexes the messages of sessions extracted before the
 * episodic layer existed (extracted but never indexed), so they become searchable.
 *
 * - **Dimension change**: when the embedder's dimension differs from the stored one, both vector
 *   columns are altered in one transaction (their old vectors, meaningless to the new embedder,
 *   are cleared), with the stored dimension; the rows are then filled batch by batch.
 * - **Resumable**: each batch commits with its progress (meta key `reindex`); a run that stops
 *   midway is continued by the next one for the same embedder, from the batch after the last commit.
 * - **Idempotent**: when the recorded embedder is already `embedder` and nothing is unfinished,
 *   nothing is re-embedded (`force` re-embeds anyway); messages already indexed are left alone.
 *
 * Run it while nothing else writes with the old embedder (stop the workers, or switch them to the
 * new embedder first): a fact written with the old one during the run would keep its old vector.
 * Messages newer than their session's extraction watermark are not indexed here: extraction (or
 * `sweep`) indexes them with their facts.
 * @throws FactlineError `migration_required`, `invalid_argument`, `embedding_failed`, `dimension_mismatch` (an embedder breaking its own `dimensions`).
 */
export async function reindex(
  handle: FactlineDb,
  embedder: Embedder,
  options: ReindexOptions & { excerpts?: ExcerptIndexConfig | undefined; logger?: Logger | undefined; signal?: AbortSignal | undefined } = {},
): Promise<ReindexResult> {
  const { excerpts: excerptConfig = DEFAULT_EXCERPT_INDEX, logger = quietLogger, signal, ...rest } = options
  const o = parseOrThrow(ReindexOptionsSchema, rest, 'invalid_argument', 'Invalid reindex options')
  await assertMigrated(handle)
  const db = handle.db
  const previousEmbedder = await readEmbedderRecord(handle)
  const previousDimensions = await readEmbeddingDimensions(handle)
  const unfinished = await readProgress(db)
  const result: ReindexResult = {
    previousEmbedder,
    embedder: embedder.id,
    previousDimensions,
    dimensions: embedder.dimensions,
    resumed: unfinished?.target === embedder.id,
    facts: 0,
    excerpts: 0,
    indexedMessages: 0,
    indexedExcerpts: 0,
  }

  const upToDate = previousEmbedder === embedder.id && previousDimensions === embedder.dimensions && !unfinished
  if (!upToDate || o.force) {
    let progress: Progress = result.resumed && unfinished ? unfinished : { target: embedder.id, fact: null, excerpt: 0 }
    await db.transaction().execute(async (trx) => {
      if (previousDimensions !== embedder.dimensions) await changeEmbeddingDimensions(trx, handle.tables, embedder.dimensions)
      await writeMeta(trx, REINDEX_META_KEY, JSON.stringify(progress))
    })
    logger.info('reindex: re-embedding', { from: previousEmbedder, to: embedder.id, resumed: result.resumed })
    for (;;) {
      const rows = await db
        .selectFrom('facts')
        .select(['id', 'content'])
        .$if(progress.fact !== null, (q) => q.where('id', '>', progress.fact!))
        .orderBy('id')
        .limit(o.batchSize)
        .execute()
      if (rows.length === 0) break
      const vectors = await embedTexts(embedder, rows.map((r) => r.content), signal)
      progress = { ...progress, fact: rows[rows.length - 1]!.id }
      await db.transaction().execute(async (trx) => {
        await setEmbeddings(trx, 'facts', 'uuid', rows.map((r, i) => [r.id, vectors[i]!]))
        await writeMeta(trx, REINDEX_META_KEY, JSON.stringify(progress))
      })
      result.facts += rows.length
    }
    for (;;) {
      const rows = await db
        .selectFrom('transcript_excerpts as e')
        .innerJoin('agent_messages as m', (join) => join.onRef('m.user_id', '=', 'e.user_id').onRef('m.id', '=', 'e.message_id'))
        .select(['e.id', 'e.text', 'e.chunk', messageRole('m.message_data').as('role')])
        .select(previousMessageData({ userId: sql.ref('m.user_id'), sessionId: 'm.session_id', id: 'm.id' }).as('previous'))
        .where('e.id', '>', progress.excerpt)
        .orderBy('e.id')
        .limit(o.batchSize)
        .execute()
      if (rows.length === 0) break
      // Embedded as extraction embedded them: a reply's first chunk with the question it answers.
      const texts = rows.map((r) => excerptEmbeddingText(r, questionBefore(r.role, r.previous)))
      const vectors = await embedTexts(embedder, texts, signal)
      progress = { ...progress, excerpt: Number(rows[rows.length - 1]!.id) }
      await db.transaction().execute(async (trx) => {
        await setEmbeddings(trx, 'transcript_excerpts', 'bigint', rows.map((r, i) => [String(r.id), vectors[i]!]))
        await writeMeta(trx, REINDEX_META_KEY, JSON.stringify(progress))
      })
      result.excerpts += rows.length
    }
    // The record changes only now: until the last batch, some vectors were the old embedder's.
    await db.transaction().execute(async (trx) => {
      await writeMeta(trx, EMBEDDER_META_KEY, embedder.id)
      await trx.deleteFrom('factline_meta').where('key', '=', REINDEX_META_KEY).execute()
    })
  }

  if (excerptConfig.enabled) {
    const indexed = await indexUnindexedMessages(db, embedder, { batchSize: o.batchSize, config: excerptConfig, signal })
    result.indexedMessages = indexed.messages
    result.indexedExcerpts = indexed.excerpts
  }
  logger.info('reindex done', { ...result })
  return result
}

/** The unfinished reindex, if any. */
export async function readProgress(db: Kysely<Database>): Promise<Progress | undefined> {
  const row = await db.selectFrom('factline_meta').select('value').where('key', '=', REINDEX_META_KEY).executeTakeFirst()
  if (!row) return undefined
  const parsed = ProgressSchema.safeParse(JSON.parse(row.value))
  // Unreadable progress only costs a restart from the first batch.
  return parsed.success ? parsed.data : undefined
}

/** One `update … from (values …)` for a batch of `[id, vector]`. */
async function setEmbeddings(
  trx: Kysely<Database>,
  table: 'facts' | 'transcript_excerpts',
  idType: 'uuid' | 'bigint',
  rows: ReadonlyArray<readonly [string, readonly number[]]>,
): Promise<void> {
  const values = sql.join(rows.map(([id, vector]) => sql`(${id}::${sql.raw(idType)}, ${toVectorLiteral(vector)})`))
  await sql`update ${sql.table(table)} as t set embedding = v.embedding::vector
    from (values ${values}) as v(id, embedding) where t.id = v.id`.execute(trx)
}

async function writeMeta(trx: Kysely<Database>, key: string, value: string): Promise<void> {
  await trx
    .insertInto('factline_meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute()
}
