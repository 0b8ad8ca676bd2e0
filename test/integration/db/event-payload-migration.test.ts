import { sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { allMigrations } from '../../../migrations/all-migrations.js'
import { createDb, type FactlineDb } from '../../../src/db/create-db.js'
import { migrationTableName } from '../../../src/db/table-names.js'
import type { Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup, lacks } from '../../helpers/services.js'

const DIMENSIONS = 16

let admin: pg.Client
const created: string[] = []

beforeAll(async () => {
  if (lacks('postgres')) return
  admin = new pg.Client({ connectionString: inject('databaseUrl') })
  await admin.connect()
})

afterAll(async () => {
  if (lacks('postgres')) return
  for (const name of created) await admin.query(`drop database if exists ${name} with (force)`)
  await admin.end()
})

/** An empty database of the given backend, not migrated. */
async function emptyDatabase(backend: Backend): Promise<FactlineDb> {
  if (backend === 'pglite') return createDb({ dataDir: 'memory://' })
  const name = `factline_evt_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  await admin.query(`create database ${name}`)
  created.push(name)
  const url = new URL(inject('databaseUrl'))
  url.pathname = `/${name}`
  return createDb({ url: url.toString() })
}

function migrator(handle: FactlineDb): Migrator {
  const tableName = migrationTableName(handle.tables)
  return new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => allMigrations({ tables: handle.tables, embeddingDimensions: DIMENSIONS }) },
    migrationTableName: tableName,
    migrationLockTableName: `${tableName}_lock`,
  })
}

/**
 * Adds a fact drawn from two messages and deletes the second, so the trigger logs one removed
 * source. Plain SQL against the schema of 0003/0004 (before 0008 gave every table a user_id),
 * since today's code writes the columns of the newest schema.
 */
async function factLosingASource(handle: FactlineDb) {
  const userId = uniqueId('user')
  const sessionId = uniqueId('session')
  await sql`insert into agent_sessions (session_id, user_id) values (${sessionId}, ${userId})`.execute(handle.db)
  const messages = await sql<{ id: string }>`insert into agent_messages (session_id, message_data)
    values (${sessionId}, '{"role":"user","content":"I drink coffee"}'), (${sessionId}, '{"role":"user","content":"I drink tea"}')
    returning id`.execute(handle.db)
  const [first, second] = messages.rows.map((r) => Number(r.id))
  const fact = await sql<{ id: string }>`insert into facts (user_id, namespace, content) values (${userId}, 'default', 'Drinks hot drinks')
    returning id`.execute(handle.db)
  const factId = fact.rows[0]!.id
  await sql`insert into fact_sources (fact_id, message_id, session_id) values (${factId}, ${first}, ${sessionId}), (${factId}, ${second}, ${sessionId})`.execute(handle.db)
  await sql`delete from agent_messages where id = ${second}`.execute(handle.db)
  return { factId, removed: { messageId: second!, sessionId } }
}

/** The `before` payloads of the fact's `source_removed` events, as stored. */
async function removedPayloads(handle: FactlineDb, { factId }: Awaited<ReturnType<typeof factLosingASource>>) {
  const rows = await sql<{ before: unknown }>`select before from fact_events
    where fact_id = ${factId} and event_type = 'source_removed' order by id`.execute(handle.db)
  return rows.rows.map((r) => r.before)
}

describeEachSetup<Backend>(['postgres', 'pglite'])('0004_camel_case_event_payloads (%s)', (backend) => {
  it('rewrites the trigger and the events it already wrote to camelCase keys, and back on down', async () => {
    const handle = await emptyDatabase(backend)
    try {
      const { error } = await migrator(handle).migrateTo('0003_drop_unused_embedding_index')
      expect(error).toBeUndefined()
      const before = await factLosingASource(handle)
      expect(await removedPayloads(handle, before)).toEqual([
        { message_id: before.removed.messageId, session_id: before.removed.sessionId },
      ])

      const up = await migrator(handle).migrateTo('0004_camel_case_event_payloads')
      expect(up.error).toBeUndefined()
      expect(up.results?.map((r) => r.migrationName)).toEqual(['0004_camel_case_event_payloads'])
      expect(await removedPayloads(handle, before)).toEqual([
        { messageId: before.removed.messageId, sessionId: before.removed.sessionId },
      ])
      const after = await factLosingASource(handle)
      expect(await removedPayloads(handle, after)).toEqual([
        { messageId: after.removed.messageId, sessionId: after.removed.sessionId },
      ])

      const { error: downError } = await migrator(handle).migrateDown()
      expect(downError).toBeUndefined()
      expect(await removedPayloads(handle, after)).toEqual([
        { message_id: after.removed.messageId, session_id: after.removed.sessionId },
      ])
    } finally {
      await handle.close()
    }
  })
})
