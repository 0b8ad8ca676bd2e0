import type { AgentInputItem } from '@openai/agents'
import { randomBytes, randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { createMemory } from '../../../src/memory.js'
import { TEST_EMBEDDING_DIMENSIONS } from '../../helpers/test-env.js'

/**
 * The default `createTables: true` runs DDL only when a migration is pending: against an up-to-date
 * schema it reads the migration table and nothing more, so an application role with DML rights
 * only starts with the defaults. A throwaway database and role, cluster-wide names made unique.
 */
describe('createTables with a DML-only role', () => {
  const admin = new URL(inject('databaseUrl'))
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12)
  const database = `factline_dml_${suffix}`
  const role = { name: `factline_dml_${suffix}`, password: randomBytes(16).toString('hex') }
  const adminClient = new pg.Client({ connectionString: admin.toString() })
  const urlAs = (user?: typeof role) => {
    const url = new URL(admin)
    if (user) {
      url.username = user.name
      url.password = user.password
    }
    url.pathname = `/${database}`
    return url.toString()
  }

  beforeAll(async () => {
    await adminClient.connect()
    await adminClient.query(`create database ${database}`)
    await adminClient.query(`create role ${role.name} login password '${role.password}'`)
    const owner = await createDb({ url: urlAs() })
    try {
      await migrate(owner, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
    } finally {
      await owner.close()
    }
    const grants = new pg.Client({ connectionString: urlAs() })
    await grants.connect()
    await grants.query(`revoke create on schema public from public`)
    await grants.query(`grant usage on schema public to ${role.name}`)
    await grants.query(`grant select, insert, update, delete on all tables in schema public to ${role.name}`)
    await grants.query(`grant usage, select on all sequences in schema public to ${role.name}`)
    await grants.end()
  })
  afterAll(async () => {
    await adminClient.query(`drop database if exists ${database} with (force)`)
    await adminClient.query(`drop role if exists ${role.name}`)
    await adminClient.end()
  })

  it('starts with the default createTables on a migrated database, and the role cannot run DDL', async () => {
    const client = new pg.Client({ connectionString: urlAs(role) })
    await client.connect()
    await expect(client.query('create table dml_probe (i int)')).rejects.toMatchObject({ code: '42501' })
    await client.end()

    const memory = await createMemory({ database: { url: urlAs(role) }, queue: false, env: false })
    try {
      const userId = `dml-${randomUUID()}`
      await memory.session(`dml-${randomUUID()}`, { userId }).addItems([{ role: 'user', content: 'I live in Porto.' }] as AgentInputItem[])
      await memory.flush()
      expect((await memory.recall({ userId, query: 'where do I live' })).map((f) => f.content)).toContain('Lives in Porto')
      expect(await memory.forgetUser(userId)).toMatchObject({ sessions: 1 })
    } finally {
      await memory.close()
    }
  })
})
