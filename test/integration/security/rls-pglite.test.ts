import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type FactlineDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { readRowLevelSecurity } from '../../../src/db/row-level-security.js'
import { withUserScope } from '../../../src/db/user-scope.js'
import { createMemory } from '../../../src/index.js'
import { TEST_EMBEDDING_DIMENSIONS, uniqueId } from '../../helpers/test-env.js'

/**
 * The policies of migration 0007 on embedded PGlite: they migrate and enable there too, the
 * embedded superuser is never filtered (so the default install is unchanged), and a role the
 * policies apply to (made with `create role` inside PGlite) sees one user at a time.
 */
describe('row-level security (PGlite)', () => {
  let handle: FactlineDb

  beforeAll(async () => {
    handle = await createDb({ dataDir: 'memory://', rowLevelSecurity: true })
    await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS, rowLevelSecurity: true })
  })
  afterAll(async () => {
    await handle?.close()
  })

  it('enables the policy on every user table, without filtering the embedded superuser', async () => {
    expect(await readRowLevelSecurity(handle)).toMatchObject({ enabledTables: 7, filtersThisRole: false })
    const { rows } = await sql<{ tablename: string }>`select tablename from pg_policies where policyname = 'factline_user_rows' order by tablename`.execute(handle.db)
    expect(rows.map((r) => r.tablename)).toEqual([
      'agent_messages',
      'agent_session_operations',
      'agent_sessions',
      'fact_events',
      'fact_sources',
      'facts',
      'transcript_excerpts',
    ])
  })

  it('shows a filtered role only the user named by factline.user_id', async () => {
    const alice = uniqueId('alice')
    const bob = uniqueId('bob')
    for (const userId of [alice, bob]) {
      await handle.db.insertInto('agent_sessions').values({ session_id: uniqueId('s'), user_id: userId, namespace: 'default' }).execute()
    }
    await sql`create role rls_probe nologin`.execute(handle.db)
    await sql`grant select on agent_sessions, agent_messages, facts to rls_probe`.execute(handle.db)
    // PGlite has one connection: the role switch holds for every statement until reset.
    await sql`set role rls_probe`.execute(handle.db)
    try {
      expect((await sql`select * from agent_sessions`.execute(handle.db)).rows).toEqual([])
      const seen = await withUserScope(handle, bob, (db) => db.selectFrom('agent_sessions').select('user_id').execute())
      expect(seen).toEqual([{ user_id: bob }])
    } finally {
      await sql`reset role`.execute(handle.db)
    }
  })

  it('runs the embedded memory with rowLevelSecurity on as it runs without', async () => {
    const memory = await createMemory({ database: { dataDir: 'memory://', rowLevelSecurity: true }, queue: false, env: false })
    try {
      const userId = uniqueId('embedded')
      await memory.session(uniqueId('chat'), { userId }).addItems([{ role: 'user', content: 'I live in Porto.' }])
      await memory.flush()
      expect((await memory.recall({ userId, query: 'where do I live' }))[0]?.content).toBe('Lives in Porto')
      expect(await memory.forgetUser(userId)).toMatchObject({ sessions: 1, messages: 1 })
    } finally {
      await memory.close()
    }
  })

  it('leaves the policies off unless asked: the embedded default is unchanged', async () => {
    const plain = await createDb({ dataDir: 'memory://' })
    try {
      await migrate(plain, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
      expect(await readRowLevelSecurity(plain)).toMatchObject({ enabledTables: 0, filtersThisRole: false })
      // Off, the scope helper hands the call the database itself: no transaction, no set_config.
      expect(plain.rowLevelSecurity).toBe(false)
      expect(await withUserScope(plain, 'someone', async (db) => db)).toBe(plain.db)
    } finally {
      await plain.close()
    }
  })
})
