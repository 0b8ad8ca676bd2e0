import { randomUUID } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { expect, inject, it } from 'vitest'
import type { DatabaseOptions } from '../../../src/db/create-db.js'
import { readEmbedderRecord, UNRECORDED_EMBEDDER } from '../../../src/db/embedder-record.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { Logger } from '../../../src/logger.js'
import { createMemory } from '../../../src/memory.js'
import { seedSession } from '../facts/fixtures.js'
import { describeEachSetup } from '../../helpers/services.js'

type Backend = 'postgres' | 'pglite'
interface Store {
  database: DatabaseOptions
  tables?: Record<string, string>
  close(): Promise<void>
}

/** A store of its own on each backend, reopenable: a PGlite we keep open, or uniquely named tables in the run's PostgreSQL. */
async function newStore(backend: Backend): Promise<Store> {
  if (backend === 'pglite') {
    const pglite = await PGlite.create({ extensions: { vector } })
    return { database: { pglite }, close: () => pglite.close() }
  }
  const p = `e${randomUUID().replaceAll('-', '').slice(0, 10)}`
  return {
    database: { url: inject('databaseUrl') },
    tables: { sessions: `${p}_sessions`, messages: `${p}_messages`, facts: `${p}_facts`, factSources: `${p}_fact_sources`, factEvents: `${p}_fact_events`, meta: `${p}_meta` },
    close: async () => {},
  }
}

function recordingLogger(): Logger & { warnings: unknown[][] } {
  const warnings: unknown[][] = []
  const noop = () => {}
  return { debug: noop, info: noop, error: noop, warn: (...args: unknown[]) => void warnings.push(args), warnings }
}

describeEachSetup(['postgres', 'pglite'] as const)('embedder record (%s)', (backend) => {
  it('gives a new database the WordNet embedder, records it, and keeps it on reopening', async () => {
    const { close, ...store } = await newStore(backend)
    try {
      const memory = await createMemory({ ...store, env: false })
      expect(memory.embedder.id).toBe(`hash-v2-wordnet-${memory.embedder.dimensions}`)
      await expect(readEmbedderRecord(memory.db)).resolves.toBe(memory.embedder.id)
      await memory.close()
      const reopened = await createMemory({ ...store, env: false })
      expect(reopened.embedder.id).toBe(memory.embedder.id)
      await reopened.close()
    } finally {
      await close()
    }
  })

  it('keeps hash-v1 for a database whose facts predate the record, and records it then', async () => {
    const { close, ...store } = await newStore(backend)
    try {
      const legacy = await createMemory({ ...store, embedder: new HashEmbedder({ dimensions: 64, semantics: false }), env: false })
      const userId = randomUUID()
      const { sources } = await seedSession(legacy.db, userId, ['I have two cats'])
      await legacy.facts.add({ userId, content: 'Has two cats', sources })
      // What a database from before the record looks like: facts, and no embedder row.
      await legacy.db.db.deleteFrom('factline_meta').where('key', '=', 'embedder').execute()
      await expect(readEmbedderRecord(legacy.db)).resolves.toBe(UNRECORDED_EMBEDDER)
      await legacy.close()

      const reopened = await createMemory({ ...store, env: false })
      expect(reopened.embedder.id).toBe('hash-v1-64')
      await expect(readEmbedderRecord(reopened.db)).resolves.toBe('hash-v1-64')
      await reopened.close()
    } finally {
      await close()
    }
  })

  it('warns, and keeps the record, when another embedder opens a recorded database', async () => {
    const { close, ...store } = await newStore(backend)
    try {
      const first = await createMemory({ ...store, env: false })
      await first.close()
      const logger = recordingLogger()
      const other = new HashEmbedder({ dimensions: first.embedder.dimensions, semantics: false })
      const second = await createMemory({ ...store, embedder: other, logger, env: false })
      expect(logger.warnings).toHaveLength(1)
      expect(logger.warnings[0]?.[1]).toEqual({ recorded: first.embedder.id, embedder: other.id })
      await expect(readEmbedderRecord(second.db)).resolves.toBe(first.embedder.id)
      await second.close()
    } finally {
      await close()
    }
  })
})
