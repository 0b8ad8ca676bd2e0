import { readFileSync } from 'node:fs'
import type { Embedder } from '../../src/embed/embedder.js'
import { cosineSimilarity } from '../../src/facts/reconcile.js'

/** A recall query, the fact it should find (sharing no word with it), and facts it should not. */
export interface RelatedWordsCase {
  query: string
  related: string
  distractors: string[]
}

/** The synonym/hypernym retrieval table in fixtures/related-words.json. */
export const relatedWordsCases: readonly RelatedWordsCase[] = (
  JSON.parse(readFileSync(new URL('./fixtures/related-words.json', import.meta.url), 'utf8')) as { cases: RelatedWordsCase[] }
).cases

/** For each case, whether `embedder` ranks the related fact above every distractor (hit@1). */
export async function rankRelatedWords(embedder: Embedder, cases: readonly RelatedWordsCase[] = relatedWordsCases): Promise<boolean[]> {
  const hits: boolean[] = []
  for (const c of cases) {
    const [query = [], related = [], ...distractors] = await embedder.embed([c.query, c.related, ...c.distractors])
    const score = cosineSimilarity(query, related)
    hits.push(distractors.every((d) => cosineSimilarity(query, d) < score))
  }
  return hits
}
