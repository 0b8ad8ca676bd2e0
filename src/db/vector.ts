import { sql, type RawBuilder } from 'kysely'

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

/** The embedding column read as pgvector text, for code that needs the numbers back. */
export function vectorText(column: string): RawBuilder<string | null> {
  return sql<string | null>`${sql.ref(column)}::text`
}
