import { errorMessage, FactlineError, isFactlineError } from '../errors.js'
import type { Embedder } from './embedder.js'

/**
 * Embeds `texts` and checks what came back, so a misbehaving embedder fails here, loudly, rather
 * than as a bad row or silently bad recall: one vector per text, each of `embedder.dimensions`
 * finite numbers. The only path from factline code to `embedder.embed`.
 * An abort rejects with `signal.reason` unwrapped, as the embedders themselves do.
 * @throws FactlineError `embedding_failed` when the embedder throws or returns the wrong number of
 * vectors or a non-finite number; `dimension_mismatch` for a vector of another length.
 */
export async function embedTexts(embedder: Embedder, texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
  if (texts.length === 0) return []
  let vectors: unknown
  try {
    vectors = await embedder.embed(texts, signal)
  } catch (error) {
    if (signal?.aborted && error === signal.reason) throw error
    if (isFactlineError(error, 'embedding_failed') || isFactlineError(error, 'dimension_mismatch')) throw error
    throw new FactlineError('embedding_failed', `embedder ${embedder.id} failed: ${errorMessage(error)}`, {
      cause: error,
      details: { embedder: embedder.id },
    })
  }
  if (!Array.isArray(vectors) || vectors.length !== texts.length) {
    const received = Array.isArray(vectors) ? vectors.length : typeof vectors
    throw new FactlineError(
      'embedding_failed',
      `embedder ${embedder.id} returned ${String(received)} vectors for ${texts.length} texts; it must return one per text`,
      { details: { embedder: embedder.id, expected: texts.length, received } },
    )
  }
  vectors.forEach((vector, index) => checkVector(embedder, vector, index))
  return vectors as number[][]
}

/** `embedTexts` for one text. @throws FactlineError as `embedTexts`. */
export async function embedText(embedder: Embedder, text: string, signal?: AbortSignal): Promise<number[]> {
  const [vector] = await embedTexts(embedder, [text], signal)
  return vector as number[]
}

function checkVector(embedder: Embedder, vector: unknown, index: number): void {
  if (!Array.isArray(vector)) {
    throw new FactlineError('embedding_failed', `embedder ${embedder.id} returned ${typeof vector} instead of a vector for text ${index}`, {
      details: { embedder: embedder.id, index },
    })
  }
  if (vector.length !== embedder.dimensions) {
    throw new FactlineError(
      'dimension_mismatch',
      `embedder ${embedder.id} declares ${embedder.dimensions} dimensions but returned a ${vector.length}-dim vector ` +
        `for text ${index}; fix the embedder's \`dimensions\``,
      { details: { embedder: embedder.id, index, expected: embedder.dimensions, received: vector.length } },
    )
  }
  const bad = vector.findIndex((value) => typeof value !== 'number' || !Number.isFinite(value))
  if (bad !== -1) {
    throw new FactlineError(
      'embedding_failed',
      `embedder ${embedder.id} returned ${String(vector[bad])} at position ${bad} of the vector for text ${index}; ` +
        'every component must be a finite number',
      { details: { embedder: embedder.id, index, position: bad } },
    )
  }
}
