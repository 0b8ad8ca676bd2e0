import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from './schema.js'

/**
 * The pgvector text form of a vector (`[0.1,0.2,…]`), as stored in `facts.embedding`.
 * Non-finite numbers are refused here because pgvector would reject the whole statement.
 */
export function toVectorLiteral(values: readonly number[]): string {
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError('vector contains a non-finite number')
  }
  return `[${values.join(',')}]`
}

/** Parses pgvector's text output (`[1,2,3]`) back into numbers. */
export function parseVectorLiteral(text: string): number[] {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '')
  return inner.length === 0 ? [] : inner.split(',').map(Number)
}

/** `column <=> query`: pgvector cosine distance (0 = same direction, 2 = opposite). */
export function cosineDistance(column: string, query: readonly number[]): RawBuilder<number> {
  return sql<number>`(${sql.ref(column)} <=> ${toVectorLiteral(query)}::vector)`
}

/** `1 - (column <=> query)`: cosine similarity in [-1, 1]. */
export function cosineSimilarity(column: string, query: readonly number[]): RawBuilder<number> {
  return sql<number>`(1 - (${sql.ref(column)} <=> ${toVectorLiteral(query)}::vector))`
}

/** The embedding column read as pgvector text, for code that needs the numbers back. */
export function vectorText(column: string): RawBuilder<string | null> {
  return sql<string | null>`${sql.ref(column)}::text`
}

/** How pgvector 0.8's iterative HNSW scan may continue past `hnsw.ef_search` when a filter drops rows. */
export type IterativeScanMode = 'off' | 'strict_order' | 'relaxed_order'

/**
 * Sets `hnsw.iterative_scan` (and optionally `hnsw.max_scan_tuples`) for the rest of the current
 * transaction only (`SET LOCAL`), so a pooled connection never leaks the setting.
 * Call it inside `db.transaction()`.
 */
export async function setIterativeScan(
  trx: Kysely<Database>,
  mode: IterativeScanMode,
  maxScanTuples?: number,
): Promise<void> {
  await sql`select set_config('hnsw.iterative_scan', ${mode}, true)`.execute(trx)
  if (maxScanTuples !== undefined) {
    await sql`select set_config('hnsw.max_scan_tuples', ${String(maxScanTuples)}, true)`.execute(trx)
  }
}
