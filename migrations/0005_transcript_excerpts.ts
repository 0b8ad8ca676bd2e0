import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'

/**
 * Adds the episodic index of the transcript: one row per chunk of an indexed message, with its
 * embedding, a full-text vector and the message's time, so recall can return what a user said
 * even where no fact was extracted. Rows cascade with their message, so `popItem`,
 * `clearSession`, `forgetUser` and plain SQL deletes remove them as they remove provenance.
 * Nothing is backfilled: extraction indexes new items, and a re-extraction indexes old ones.
 */
export function createTranscriptExcerpts({ tables, embeddingDimensions }: MigrationSettings): Migration {
  const ix = (suffix: string) => sql.id(`${tables.transcriptExcerpts}_${suffix}`)
  return {
    async up(db: Kysely<any>) {
      // The vector column must match facts.embedding: the dimension recorded when the tables were
      // created wins over the one this run was configured with.
      const stored = await db
        .selectFrom('factline_meta')
        .select('value')
        .where('key', '=', 'embedding_dimensions')
        .executeTakeFirst()
      const dimensions = stored ? Number(stored.value) : embeddingDimensions
      await db.schema
        .createTable('transcript_excerpts')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'bigint', (c) => c.notNull().references('agent_messages.id').onDelete('cascade'))
        .addColumn('chunk', 'integer', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('embedding', sql`vector(${sql.lit(dimensions)})`)
        .addColumn('search', sql`tsvector`, (c) => c.generatedAlwaysAs(sql`to_tsvector('english', text)`).stored())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .execute()
      // Unique per chunk of a message: a re-run indexes nothing twice, and the cascade from a
      // deleted message finds its rows through this index.
      await sql`create unique index ${ix('message_idx')} on ${sql.table('transcript_excerpts')} (message_id, chunk)`.execute(db)
      await sql`create index ${ix('scope_idx')} on ${sql.table('transcript_excerpts')} (user_id, namespace, at)`.execute(db)
      await sql`create index ${ix('search_idx')} on ${sql.table('transcript_excerpts')} using gin (search)`.execute(db)
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('transcript_excerpts').ifExists().execute()
    },
  }
}
