/**
 * Length of `facts.embedding` when none is configured, and of the OpenAI embedder's vectors: one
 * constant, because the default database must fit the default online embedder
 * (text-embedding-3-small's native size). The offline `HashEmbedder` has its own default
 * (`DEFAULT_HASH_DIMENSIONS`, 384): a hashing embedder gains nothing from longer vectors, and an
 * offline setup creates its database at the embedder's size.
 */
export const DEFAULT_EMBEDDING_DIMENSIONS = 1536

/** Longest vector pgvector's `vector` type stores. */
export const MAX_EMBEDDING_DIMENSIONS = 16000
