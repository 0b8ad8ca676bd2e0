import { sql } from 'kysely'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { distributeTables } from '../../../src/db/distribute.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { createCitusDatabase } from '../../helpers/citus-cluster.js'
import { describeWith } from '../../helpers/services.js'

/**
 * `factline reindex` on a distributed database: re-embedding every excerpt (with the question a
 * reply answers, read from the message before it) and indexing never-indexed messages, whose
 * per-message locks must each stay on one shard (Citus refuses a multi-shard FOR SHARE).
 */
describeWith('citus')('reindex on Citus', () => {
  let db: { url: string; drop: () => Promise<void> }
  let memory: Memory
  beforeAll(async () => {
    db = await createCitusDatabase(inject('citusUrl'), 'factline_reindex')
    memory = await createMemory({ database: { url: db.url }, queue: false, env: false, embedder: new HashEmbedder({ dimensions: 64 }) })
    await distributeTables(memory.db)
  })
  afterAll(async () => {
    await memory?.close()
    await db?.drop()
  })

  it('re-embeds every excerpt and indexes old messages, with a reply still carrying its question', async () => {
    for (const userId of ['diego', 'isla']) {
      const session = memory.session(`chat-${userId}`, { userId })
      await session.addItems([
        { role: 'user', content: 'I do CFD on the rear wing now.' },
        { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'What software are you using?' }] } as never,
      ])
      await memory.flush()
      await session.addItems([{ role: 'user', content: 'ANSYS Fluent.' }])
      await memory.flush()
    }
    // As sessions extracted before the episodic layer: their replies were never indexed.
    await sql`delete from ${sql.table('transcript_excerpts')} where text = 'ANSYS Fluent.'`.execute(memory.db.db)

    const result = await memory.reindex({ embedder: new HashEmbedder({ dimensions: 64, semantics: false }) })
    expect(result).toMatchObject({ excerpts: 2, indexedMessages: 2, indexedExcerpts: 2 })
    for (const userId of ['diego', 'isla']) {
      const hits = await memory.search({ userId, query: 'Which CFD software?', types: ['excerpt'] })
      expect(hits.find((h) => h.text === 'ANSYS Fluent.')).toMatchObject({ replyTo: 'What software are you using?', sessionId: `chat-${userId}` })
    }
  })
})
