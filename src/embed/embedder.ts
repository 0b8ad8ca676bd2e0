/**
 * Turns texts into vectors. Facts store the vectors of one embedder; the database records its
 * dimension, and a mismatch is a startup error rather than silently bad recall.
 */
export interface Embedder {
  /** Identifies the model and its settings, e.g. `openai:text-embedding-3-small` or `hash-v1`. */
  readonly id: string
  /** Length of every vector `embed` returns. */
  readonly dimensions: number
  /** One vector per input text, in input order. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>
}
