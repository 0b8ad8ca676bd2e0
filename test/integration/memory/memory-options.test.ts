import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { createMemory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeWith } from '../../helpers/services.js'

describe('createMemory options', () => {
  it('runs embedded and offline with nothing configured but a folder', async () => {
    const memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })
    expect(memory.mode).toBe('inline')
    expect(memory.db.backend).toBe('pglite')
    expect(memory.extractor.id).toBe('nlp-v1')
    expect(memory.embedder.id).toBe('hash-v2-wordnet-384')
    await memory.close()
  })

  it('adopts the stored dimension with the offline embedder, and leaves a PGlite it was given open', async () => {
    const pglite = await PGlite.create({ extensions: { vector } })
    await migrate(await createDb({ pglite }), { embeddingDimensions: 64 })
    const memory = await createMemory({ database: { pglite }, env: false })
    expect(memory.embedder.dimensions).toBe(64)
    await memory.close()
    expect(pglite.closed).toBe(false)
    await pglite.close()
  })

  it('refuses an embedder whose dimension differs from the database with dimension_mismatch', async () => {
    const pglite = await PGlite.create({ extensions: { vector } })
    await migrate(await createDb({ pglite }), { embeddingDimensions: 64 })
    await expect(
      createMemory({ database: { pglite }, embedder: new HashEmbedder({ dimensions: 32 }), env: false }),
    ).rejects.toMatchObject({ code: 'dimension_mismatch' })
    await pglite.close()
  })

  it('rejects unknown or conflicting options with invalid_config', async () => {
    await expect(createMemory({ databse: {} } as never)).rejects.toMatchObject({ code: 'invalid_config' })
    await expect(createMemory({ openai: { apiKey: 'k', client: {} } } as never)).rejects.toMatchObject({
      code: 'invalid_config',
    })
    await expect(createMemory({ env: { FACTLINE_WORKER_CONCURRENCY: 'many' } })).rejects.toMatchObject({
      code: 'invalid_config',
    })
  })

  it('requires a user for memory.run', async () => {
    const memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })
    const { Agent } = await import('@openai/agents')
    await expect(memory.run(new Agent({ name: 'a' }), 'hi', {})).rejects.toMatchObject({ code: 'unknown_user' })
    await expect(memory.worker()).rejects.toMatchObject({ code: 'invalid_config' })
    await memory.close()
  })
})

describeWith('postgres', 'redis')('createMemory with your own Redis connection', () => {
  it('runs a worker on a duplicate it closes, and leaves your connection open', async () => {
    const { Redis } = await import('ioredis')
    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1, enableOfflineQueue: false })
    await new Promise((resolve) => connection.once('ready', resolve))
    const memory = await createMemory({
      database: { url: inject('databaseUrl') },
      queue: { connection, name: uniqueId('test') },
      env: false,
    })
    await memory.worker({ concurrency: 1, sweepIntervalMs: 0 })
    const userId = uniqueId('redis-user')
    await memory.session(uniqueId('s'), { userId }).addItems([{ role: 'user', content: 'I work at Hooli.' }])
    await memory.flush()
    expect((await memory.recall({ userId, query: 'where do I work' }))[0]?.content).toBe('Works at Hooli')
    await memory.close()
    expect(connection.status).toBe('ready')
    connection.disconnect()
  })
})
