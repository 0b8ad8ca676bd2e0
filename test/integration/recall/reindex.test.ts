import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, expect, inject, it } from 'vitest'
import { readEmbedderRecord } from '../../../src/db/embedder-record.js'
import { readEmbeddingDimensions } from '../../../src/db/migrate.js'
import { parseVectorLiteral } from '../../../src/db/vector.js'
import type { Embedder } from '../../../src/embed/embedder.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { readProgress } from '../../../src/extraction/reindex.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { BACKENDS, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup } from '../../helpers/services.js'

const V1 = new HashEmbedder({ dimensions: 64, semantics: false })
const V2 = new HashEmbedder({ dimensions: 64 })
const V2_WIDE = new HashEmbedder({ dimensions: 96 })

/** A database of its own per test: reindex rewrites every row and may alter the vector columns. */
async function freshDatabase(backend: Backend) {
  if (backend === 'pglite') {
    const pglite = await PGlite.create({ extensions: { vector } })
    return { database: { pglite }, drop: () => pglite.close() }
  }
  const name = `factline_reindex_${uniqueId('db').replaceAll('-', '_').toLowerCase()}`.slice(0, 60)
  const admin = new pg.Client({ connectionString: inject('databaseUrl') })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(inject('databaseUrl'))
  url.pathname = `/${name}`
  return {
    database: { url: url.toString() },
    async drop() {
      const client = new pg.Client({ connectionString: inject('databaseUrl') })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

type Db = Awaited<ReturnType<typeof freshDatabase>>
const open = (db: Db, embedder?: Embedder) =>
  createMemory({ database: db.database as never, queue: false, env: false, ...(embedder ? { embedder } : {}) })

/** A hash-v1 database with facts and excerpts, and one session extracted before excerpts existed. */
async function legacyDatabase(db: Db) {
  const memory = await open(db, V1)
  const userId = uniqueId('ada')
  await memory.session(uniqueId('s'), { userId }).addItems([
    { role: 'user', content: 'I live in Lisbon.' },
    { role: 'user', content: 'I adopted two cats named Miso and Tofu.' },
  ])
  const old = memory.session(uniqueId('old'), { userId })
  await old.addItems([
    { role: 'user', content: 'I drive a red automobile to work every day.' },
    { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Nice car!' }] } as never,
  ])
  await memory.flush()
  // As migration 0005 left it: extracted (watermark at the end), never indexed.
  await sql`delete from ${sql.table('transcript_excerpts')} where session_id = ${await old.getSessionId()}`.execute(memory.db.db)
  return { memory, userId, oldSessionId: await old.getSessionId() }
}

async function counts(memory: Memory) {
  const n = async (table: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(memory.db.db)).rows[0]!.n)
  return { facts: await n('facts'), excerpts: await n('transcript_excerpts') }
}

/** Every stored vector is `embedder`'s vector of its row's text. */
async function expectEmbeddedBy(memory: Memory, embedder: Embedder) {
  for (const [table, column] of [
    ['facts', 'content'],
    ['transcript_excerpts', 'text'],
  ] as const) {
    const rows = await sql<{ text: string; embedding: string | null }>`
      select ${sql.ref(column)} as text, embedding::text as embedding from ${sql.table(table)}`.execute(memory.db.db)
    expect(rows.rows.length).toBeGreaterThan(0)
    const expected = await embedder.embed(rows.rows.map((r) => r.text))
    rows.rows.forEach((row, i) => {
      const stored = parseVectorLiteral(row.embedding!)
      expect(stored).toHaveLength(embedder.dimensions)
      stored.forEach((x, j) => expect(x).toBeCloseTo(expected[i]![j]!, 5))
    })
  }
}

describeEachSetup(BACKENDS)('reindex (%s)', (backend) => {
  const dbs: Db[] = []
  afterAll(async () => {
    for (const db of dbs) await db.drop()
  })
  const fresh = async () => {
    const db = await freshDatabase(backend)
    dbs.push(db)
    return db
  }

  it('moves a hash-v1 database to hash-v2-wordnet, indexes never-indexed sessions, and a rerun does nothing', async () => {
    const db = await fresh()
    const { memory, userId, oldSessionId } = await legacyDatabase(db)
    const before = await counts(memory)
    expect(await readEmbedderRecord(memory.db)).toBe(V1.id)

    const result = await memory.reindex({ embedder: V2 })
    expect(result).toMatchObject({
      previousEmbedder: V1.id,
      embedder: V2.id,
      previousDimensions: 64,
      dimensions: 64,
      resumed: false,
      facts: before.facts,
      excerpts: before.excerpts,
      indexedMessages: 1, // the user's message of the old session; the assistant's is not indexed
      indexedExcerpts: 1,
    })
    expect(await readEmbedderRecord(memory.db)).toBe(V2.id)
    expect(await readProgress(memory.db.db)).toBeUndefined()
    await expectEmbeddedBy(memory, V2)

    const again = await memory.reindex({ embedder: V2 })
    expect(again).toMatchObject({ facts: 0, excerpts: 0, indexedMessages: 0, indexedExcerpts: 0 })
    expect(await counts(memory)).toEqual({ facts: before.facts, excerpts: before.excerpts + 1 })
    await memory.close()

    // Reopened with no embedder configured, the offline default follows the record: hash-v2.
    const reopened = await open(db)
    expect(reopened.embedder.id).toBe(V2.id)
    const car = await reopened.search({ userId, query: 'What car do I have?', types: ['excerpt'] })
    expect(car[0]).toMatchObject({ type: 'excerpt', sessionId: oldSessionId, text: 'I drive a red automobile to work every day.' })
    await reopened.close()
  })

  it('changes the vector dimension in one step, and the database keeps working at the new one', async () => {
    const db = await fresh()
    const { memory, userId } = await legacyDatabase(db)
    const before = await counts(memory)
    const result = await memory.reindex({ embedder: V2_WIDE })
    expect(result).toMatchObject({ previousDimensions: 64, dimensions: 96, facts: before.facts, excerpts: before.excerpts })
    expect(await readEmbeddingDimensions(memory.db)).toBe(96)
    await expectEmbeddedBy(memory, V2_WIDE)
    await memory.close()

    const reopened = await open(db)
    expect(reopened.embedder).toMatchObject({ id: V2_WIDE.id, dimensions: 96 })
    await reopened.session(uniqueId('s'), { userId }).addItems([{ role: 'user', content: 'I work as a nurse in Porto.' }])
    await reopened.flush()
    const home = await reopened.search({ userId, query: 'Where do I live?' })
    expect(home.map((h) => h.text)).toContain('Lives in Lisbon')
    await expectEmbeddedBy(reopened, V2_WIDE)
    await reopened.close()
  })

  it('resumes an interrupted reindex from its last committed batch', async () => {
    const db = await fresh()
    const { memory } = await legacyDatabase(db)
    const before = await counts(memory)
    let calls = 0
    const failing: Embedder = {
      id: V2.id,
      dimensions: V2.dimensions,
      async embed(texts) {
        if (++calls > 1) throw new Error('connection reset')
        return V2.embed(texts)
      },
    }
    await expect(memory.reindex({ embedder: failing, batchSize: 1 })).rejects.toMatchObject({ code: 'embedding_failed' })
    expect(await readProgress(memory.db.db)).toMatchObject({ target: V2.id })
    expect(await readEmbedderRecord(memory.db)).toBe(V1.id)

    const resumed = await memory.reindex({ embedder: V2, batchSize: 1 })
    expect(resumed).toMatchObject({ resumed: true, facts: before.facts - 1, excerpts: before.excerpts })
    expect(await readEmbedderRecord(memory.db)).toBe(V2.id)
    await expectEmbeddedBy(memory, V2)
    await memory.close()
  })

  it('embeds a reply with the question it answers, across turns, and reindexing keeps it so', async () => {
    const db = await fresh()
    const memory = await open(db, V2)
    const userId = uniqueId('diego')
    const session = memory.session(uniqueId('s'), { userId })
    const question = 'What software are you using?'
    await session.addItems([
      { role: 'user', content: 'I switched to the aerodynamics sub-team. I am doing CFD on the rear wing now.' },
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `CFD on a rear wing is a great project. ${question}` }] } as never,
    ])
    await memory.flush()
    // The answer arrives in the next turn: its question is the last message of the previous batch.
    await session.addItems([{ role: 'user', content: 'ANSYS Fluent.' }])
    await memory.flush()

    const storedVector = async () => {
      const { rows } = await sql<{ embedding: string }>`select embedding::text as embedding from ${sql.table('transcript_excerpts')}
        where text = 'ANSYS Fluent.'`.execute(memory.db.db)
      expect(rows).toHaveLength(1)
      return parseVectorLiteral(rows[0]!.embedding)
    }
    const [withQuestion] = await V2.embed([`${question}\nANSYS Fluent.`])
    const expectVector = (stored: number[], expected: readonly number[]) => stored.forEach((x, j) => expect(x).toBeCloseTo(expected[j]!, 5))
    expectVector(await storedVector(), withQuestion!)

    // Re-embedding every excerpt (another embedder) and indexing a never-indexed message do the same.
    await memory.reindex({ embedder: V2_WIDE })
    const [wide] = await V2_WIDE.embed([`${question}\nANSYS Fluent.`])
    expectVector(await storedVector(), wide!)
    await sql`delete from ${sql.table('transcript_excerpts')} where text = 'ANSYS Fluent.'`.execute(memory.db.db)
    expect(await memory.reindex({ embedder: V2_WIDE })).toMatchObject({ indexedMessages: 1, indexedExcerpts: 1 })
    expectVector(await storedVector(), wide!)
    await memory.close()
  })

  it('rejects bad options with a typed error', async () => {
    const db = await fresh()
    const memory = await open(db, V1)
    await expect(memory.reindex({ batchSize: 0 })).rejects.toMatchObject({ code: 'invalid_argument' })
    await memory.close()
  })
})
