import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'
import { migrate, readEmbeddingDimensions, assertMigrated } from '../../../src/db/migrate.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { uniqueId } from '../../helpers/test-env.js'
import { allMigrations } from '../../../migrations/all-migrations.js'
import { resolveTableNames } from '../../../src/db/table-names.js'

/** Every migration's name, in order: what a fresh database applies. */
const ALL = Object.keys(allMigrations({ tables: resolveTableNames(), embeddingDimensions: 64 }))

/** A scratch database per test file, so these tests may create and break schemas freely. */
let admin: pg.Client
let scratchUrl: (name: string) => string
const created: string[] = []

async function scratchDatabase(): Promise<string> {
  const name = `factline_mig_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  await admin.query(`create database ${name}`)
  created.push(name)
  return scratchUrl(name)
}

beforeAll(async () => {
  const base = new URL(inject('databaseUrl'))
  admin = new pg.Client({ connectionString: base.toString() })
  await admin.connect()
  scratchUrl = (name) => {
    const u = new URL(base)
    u.pathname = `/${name}`
    return u.toString()
  }
})

afterAll(async () => {
  for (const name of created) await admin.query(`drop database if exists ${name} with (force)`)
  await admin.end()
})

describe('migrate', () => {
  it('creates every table and records the embedding dimension', async () => {
    const handle = await createDb({ url: await scratchDatabase() })
    const result = await migrate(handle, { embeddingDimensions: 64 })
    expect(result).toEqual({
      applied: ALL,
      embeddingDimensions: 64,
    })
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(handle.db)
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['agent_messages', 'agent_session_operations', 'agent_sessions', 'fact_events', 'fact_sources', 'factline_meta', 'facts', 'transcript_excerpts']),
    )
    const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes where schemaname = 'public'`.execute(handle.db)
    expect(indexes.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        'agent_messages_session_idx',
        'facts_scope_idx',
        'facts_search_idx',
        'transcript_excerpts_message_idx',
        'transcript_excerpts_scope_idx',
        'transcript_excerpts_search_idx',
      ]),
    )
    // Recall scans a user's rows exactly, so no HNSW index is kept (0003).
    expect(indexes.rows.map((r) => r.indexname)).not.toContain('facts_embedding_idx')
    expect(await readEmbeddingDimensions(handle)).toBe(64)
    await handle.close()
  })

  it('is safe to run twice', async () => {
    const handle = await createDb({ url: await scratchDatabase() })
    await migrate(handle)
    expect(await migrate(handle)).toEqual({ applied: [], embeddingDimensions: 1536 })
    await handle.close()
  })

  it('is safe to run from several processes at once', async () => {
    const url = await scratchDatabase()
    const handles = await Promise.all(Array.from({ length: 4 }, () => createDb({ url })))
    const results = await Promise.all(handles.map((h) => migrate(h, { embeddingDimensions: 32 })))
    expect(results.filter((r) => r.applied.length === ALL.length)).toHaveLength(1)
    expect(results.every((r) => r.embeddingDimensions === 32)).toBe(true)
    await Promise.all(handles.map((h) => h.close()))
  })

  it('refuses a different embedding dimension later with dimension_mismatch', async () => {
    const handle = await createDb({ url: await scratchDatabase() })
    await migrate(handle, { embeddingDimensions: 16 })
    await expect(migrate(handle, { embeddingDimensions: 1536 })).rejects.toMatchObject({
      code: 'dimension_mismatch',
      details: { configured: 1536, stored: 16 },
    })
    await handle.close()
  })

  it('tells the caller to migrate when the tables are missing', async () => {
    const handle = await createDb({ url: await scratchDatabase() })
    await expect(assertMigrated(handle)).rejects.toMatchObject({ code: 'migration_required' })
    await expect(readEmbeddingDimensions(handle)).rejects.toMatchObject({ code: 'migration_required' })
    const session = new PostgresSession({ sessionId: 's', db: handle })
    await expect(session.getItems()).rejects.toMatchObject({ code: 'migration_required' })
    await expect(session.addItems([{ role: 'user', content: 'x' }])).rejects.toMatchObject({ code: 'migration_required' })
    await handle.close()
  })

  it('creates the tables on first use with createTables: true', async () => {
    const url = await scratchDatabase()
    const session = PostgresSession.fromUrl(uniqueId('s'), { url, createTables: true })
    await session.addItems([{ role: 'user', content: 'hello' }])
    expect(await session.getItems()).toEqual([{ role: 'user', content: 'hello' }])
    await session.close()
  })

  it('honours table-name overrides, side by side with the default tables', async () => {
    const url = await scratchDatabase()
    const tables = {
      sessions: 'chat_sessions',
      messages: 'chat_messages',
      facts: 'chat_facts',
      factSources: 'chat_fact_sources',
      factEvents: 'chat_fact_events',
      meta: 'chat_meta',
    }
    const custom = new PostgresSession({ sessionId: 'same-id', database: { url }, tables, createTables: true })
    const plain = new PostgresSession({ sessionId: 'same-id', database: { url }, createTables: true })
    await custom.addItems([{ role: 'user', content: 'custom' }])
    await plain.addItems([{ role: 'user', content: 'plain' }])
    expect(await custom.getItems()).toEqual([{ role: 'user', content: 'custom' }])
    expect(await plain.getItems()).toEqual([{ role: 'user', content: 'plain' }])
    const check = new pg.Client({ connectionString: url })
    await check.connect()
    const rows = await check.query('select message_data::text as data from chat_messages')
    expect(rows.rows).toEqual([{ data: '{"role":"user","content":"custom"}' }])
    await check.end()
    await custom.close()
    await plain.close()
  })

  it('rejects malformed table names with invalid_config', async () => {
    await expect(createDb({ url: 'postgres://x@127.0.0.1/x' }, { messages: 'bad name; drop table x' })).rejects.toMatchObject({
      code: 'invalid_config',
    })
  })
})
