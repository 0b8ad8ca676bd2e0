import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { CandidateFact, Extractor } from '../../../src/extractors/extractor.js'
import { processSessionExtraction } from '../../../src/extraction/extraction-processor.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openPGlite } from '../../helpers/databases.js'
import { watermark } from '../../helpers/extraction-progress.js'
import { uniqueId } from '../../helpers/test-env.js'

/** A model call that never answers: it ends only when its signal aborts. */
const hungExtractor: Extractor = {
  id: 'hung',
  model: null,
  extract: (_input, signal) =>
    new Promise<CandidateFact[]>((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
    }),
}

describe('the extractor call time budget', () => {
  let handle: FactlineDb
  beforeAll(async () => {
    handle = await openPGlite()
  })
  afterAll(async () => {
    await handle.close()
  })

  it('aborts a hung extractor call and commits nothing, so the job can retry', async () => {
    const sessionId = uniqueId('session')
    await new PostgresSession({ sessionId, userId: uniqueId('user'), db: handle }).addItems([{ role: 'user', content: 'I live in Rome.' }])
    const deps = { db: handle.db, extractor: hungExtractor, embedder: new HashEmbedder(), extractTimeoutMs: 50 }
    await expect(processSessionExtraction(deps, sessionId)).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(await watermark(handle, sessionId)).toBe(0)
  })
})
