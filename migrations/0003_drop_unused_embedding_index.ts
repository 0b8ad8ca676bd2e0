import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'

/**
 * Drops the HNSW index on `facts.embedding`. Recall and reconciliation scan a user's own rows
 * exactly (an HNSW search filtered by user returned 0 of 10 rows at 1M facts; see
 * bench/recall-plan.ts), so the index was never read, yet every fact insert paid to maintain it:
 * 4.6–9.1 ms per insert with it against 0.5–0.7 ms without (BENCHMARKS.md), and it doubled the
 * table's size. Add it back yourself for cross-user similarity queries of your own.
 */
export function dropUnusedEmbeddingIndex({ tables, embeddingDimensions }: MigrationSettings): Migration {
  const index = sql.id(`${tables.facts}_embedding_idx`)
  return {
    async up(db: Kysely<any>) {
      await sql`drop index if exists ${index}`.execute(db)
    },
    async down(db: Kysely<any>) {
      if (embeddingDimensions <= 2000) {
        await sql`create index if not exists ${index} on ${sql.table('facts')} using hnsw (embedding vector_cosine_ops)`.execute(db)
      }
    },
  }
}
