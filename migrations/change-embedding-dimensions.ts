import { sql, type Kysely } from 'kysely'
import type { TableNames } from '../src/db/table-names.js'

/**
 * Re-types both vector columns to `dimensions` and records it, inside the caller's transaction:
 * the DDL of `factline reindex` when the new embedder's dimension differs (not a migration: it runs
 * on request, never by `migrate`). Stored vectors are cleared (`using null`): the new embedder's
 * replace them. The excerpts' binary code (migration 0006) is a generated column of the vector,
 * so it and its covering index are dropped and made again at the new width.
 */
export async function changeEmbeddingDimensions(db: Kysely<any>, tables: TableNames, dimensions: number): Promise<void> {
  const type = sql`vector(${sql.lit(dimensions)})`
  const bits = sql.lit(dimensions)
  const bitsIndex = sql.id(`${tables.transcriptExcerpts}_bits_idx`)
  const excerpts = sql.table('transcript_excerpts')
  await sql`drop index if exists ${bitsIndex}`.execute(db)
  await sql`alter table ${excerpts} drop column if exists embedding_bits`.execute(db)
  await sql`alter table ${sql.table('facts')} alter column embedding type ${type} using null`.execute(db)
  await sql`alter table ${excerpts} alter column embedding type ${type} using null`.execute(db)
  await sql`alter table ${excerpts}
    add column embedding_bits bit(${bits}) generated always as (binary_quantize(embedding)::bit(${bits})) stored`.execute(db)
  await sql`create index ${bitsIndex} on ${excerpts} (user_id, namespace) include (id, at, session_id, embedding_bits)`.execute(db)
  await db
    .updateTable('factline_meta')
    .set({ value: String(dimensions) })
    .where('key', '=', 'embedding_dimensions')
    .execute()
}
