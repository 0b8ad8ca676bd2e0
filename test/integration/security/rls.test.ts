import { Agent, setTracingDisabled, type AgentInputItem } from '@openai/agents'
import { assistantMessage, ScriptedModel } from '@openai/agents/testing'
import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { createMemory, type Memory } from '../../../src/index.js'
import { TEST_EMBEDDING_DIMENSIONS, uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'
import { describeWith, lacks } from '../../helpers/services.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))

/** Every table holding users' rows (migration 0007 gives each the factline_user_rows policy). */
const USER_TABLES = [
  'agent_sessions',
  'agent_messages',
  'facts',
  'fact_sources',
  'fact_events',
  'agent_session_operations',
  'transcript_excerpts',
] as const

type Role = { name: string; password: string }

/**
 * Row-level security with the roles of deploy/postgres/01-roles.sh on the real server: the
 * migrator enables the policies, the app role runs factline with `rowLevelSecurity` and sees one
 * user at a time, the worker role (BYPASSRLS) extracts across users. Roles are cluster-wide, so
 * every name carries this run's suffix.
 */
describeWith('postgres')('row-level security (PostgreSQL, least-privilege roles)', () => {
  // collected even when skipped: a placeholder keeps collection from throwing without PostgreSQL
  const admin = new URL(inject('databaseUrl') || 'postgres://missing')
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12)
  const db = `factline_rls_${suffix}`
  const role = (name: string): Role => ({ name: `factline_${name}_${suffix}`, password: randomBytes(16).toString('hex') })
  const migrator = role('migrator')
  const app = role('app')
  const worker = role('worker')
  const adminClient = new pg.Client({ connectionString: admin.toString() })
  const urlFor = (r: Role) => {
    const url = new URL(admin)
    url.username = r.name
    url.password = r.password
    url.pathname = `/${db}`
    return url.toString()
  }
  const connectAs = async (r: Role) => {
    const client = new pg.Client({ connectionString: urlFor(r) })
    await client.connect()
    return client
  }
  const alice = `alice-${suffix}`
  const bob = `bob-${suffix}`
  let memory: Memory

  beforeAll(async () => {
    setTracingDisabled(true)
    await adminClient.connect()
    await adminClient.query(`create database ${db}`)
    await run('bash', ['deploy/postgres/01-roles.sh'], {
      cwd: root,
      env: {
        ...process.env,
        PGHOST: admin.hostname,
        PGPORT: admin.port || '5432',
        PGUSER: decodeURIComponent(admin.username),
        PGPASSWORD: decodeURIComponent(admin.password),
        POSTGRES_USER: decodeURIComponent(admin.username),
        POSTGRES_DB: db,
        FACTLINE_MIGRATOR_ROLE: migrator.name,
        FACTLINE_APP_ROLE: app.name,
        FACTLINE_WORKER_ROLE: worker.name,
        FACTLINE_MIGRATOR_PASSWORD: migrator.password,
        FACTLINE_APP_PASSWORD: app.password,
        FACTLINE_WORKER_PASSWORD: worker.password,
      },
    })
    const handle = await createDb({ url: urlFor(migrator) })
    try {
      await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS, rowLevelSecurity: true })
    } finally {
      await handle.close()
    }
    memory = await createMemory({ database: { url: urlFor(app), rowLevelSecurity: true }, createTables: false, queue: false, env: false })
    for (const userId of [alice, bob]) {
      await memory.session(`chat-${userId}`, { userId }).addItems([
        { role: 'user', content: userId === alice ? 'I live in Porto and I work at Globex.' : 'I live in Oslo and I work at Initech.' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Noted.' }] },
      ] as AgentInputItem[])
    }
    await memory.flush()
  })
  afterAll(async () => {
    await memory?.close()
    await adminClient.query(`drop database if exists ${db} with (force)`)
    for (const r of [worker, app, migrator]) await adminClient.query(`drop role if exists ${r.name}`)
    await adminClient.end()
  })

  it('runs a full turn, extraction, recall, search, explain and history as the app role with createTables: false', async () => {
    const [fact] = await memory.recall({ userId: alice, query: 'where do I live' })
    expect(fact?.content).toBe('Lives in Porto')
    const why = await memory.explain(fact!.id, { userId: alice })
    expect(why.sources.map((s) => s.sessionId)).toEqual([`chat-${alice}`])
    const hits = await memory.search({ userId: alice, query: 'Globex' })
    expect(hits.length).toBeGreaterThan(0)
    expect(JSON.stringify(hits)).not.toContain('Initech')
    expect(await memory.facts.list({ userId: bob })).toEqual(expect.arrayContaining([expect.objectContaining({ content: 'Lives in Oslo' })]))
    const session = memory.session(`chat-${alice}`, { userId: alice })
    expect(await session.getItems()).toHaveLength(2)
    expect(await session.popItem()).toMatchObject({ role: 'assistant' })
    const imported = await memory.importTranscript({ sessionId: `import-${alice}`, userId: alice, items: [{ role: 'user', content: 'I have a dog named Rex.' }] })
    expect(imported).toMatchObject({ extracted: true })
  })

  it('runs memory.run, compaction, pop and clear as the app role, the facts in the instructions', async () => {
    const dana = `dana-${suffix}`
    const session = memory.session(`run-${dana}`, { userId: dana })
    await session.addItems([{ role: 'user', content: 'I live in Kyoto.' }])
    await memory.flush()
    const model = new ScriptedModel([[assistantMessage('You live in Kyoto.')]])
    await memory.run(new Agent({ name: 'Assistant', instructions: 'Be brief.', model }), 'Where do I live?', { session })
    expect(JSON.stringify(model.calls[0])).toContain('Lives in Kyoto')
    expect(await session.getItems()).toHaveLength(3)
    // Extraction of the run's turn first: compaction racing that commit can deadlock on the session
    // row and the messages it cites, with row-level security or without (reported separately).
    await memory.flush()
    await session.replaceHistoryWithCompaction([{ role: 'user', content: 'Summary: lives in Kyoto.' }])
    expect(await session.popItem()).toMatchObject({ content: 'Summary: lives in Kyoto.' })
    await session.addItems([{ role: 'user', content: 'Hello again.' }])
    await session.clearSession()
    expect(await session.getItems()).toEqual([])
  })

  it('shows a raw query by the app role no row at all when factline.user_id is unset, and only that user when set', async () => {
    const owner = await connectAs(migrator)
    const client = await connectAs(app)
    try {
      for (const table of USER_TABLES) {
        const all = await owner.query<{ n: number }>(`select count(*)::int as n from ${table}`)
        // Every table holds rows of both users (the owner bypasses the policies): the filter below is real.
        if (table !== 'agent_session_operations') expect(all.rows[0]!.n, table).toBeGreaterThan(0)
        const unset = await client.query(`select * from ${table}`)
        expect(unset.rows, `${table} with factline.user_id unset`).toEqual([])
      }
      for (const [userId, expected] of [
        [bob, 1],
        [`mallory-${suffix}`, 0],
      ] as const) {
        await client.query('begin')
        await client.query(`select set_config('factline.user_id', $1, true)`, [userId])
        const sessions = await client.query<{ user_id: string }>('select user_id from agent_sessions')
        const facts = await client.query<{ user_id: string }>('select user_id from facts')
        const messages = await client.query<{ message_data: unknown }>('select message_data from agent_messages')
        const sources = await client.query('select * from fact_sources')
        await client.query('commit')
        expect(sessions.rows).toEqual(Array.from({ length: expected }, () => ({ user_id: userId })))
        expect(new Set(facts.rows.map((r) => r.user_id))).toEqual(new Set(expected ? [userId] : []))
        expect(JSON.stringify(messages.rows)).not.toContain('Porto')
        expect(sources.rows.length > 0).toBe(expected > 0)
      }
      // After a scoped transaction the setting reads '' on this connection: still no row.
      expect((await client.query('select * from facts')).rows).toEqual([])
    } finally {
      await owner.end()
      await client.end()
    }
  })

  it("refuses the app role writes of another user's rows, even with raw SQL", async () => {
    const client = await connectAs(app)
    try {
      await client.query('begin')
      await client.query(`select set_config('factline.user_id', $1, true)`, [bob])
      await expect(client.query(`insert into agent_sessions (session_id, user_id) values ('planted', $1)`, [alice])).rejects.toMatchObject({ code: '42501' })
      await client.query('rollback')
      await client.query('begin')
      await client.query(`select set_config('factline.user_id', $1, true)`, [bob])
      await expect(
        client.query(`insert into agent_messages (session_id, message_data) values ($1, '{}')`, [`chat-${alice}`]),
      ).rejects.toMatchObject({ code: '42501' })
      await client.query('rollback')
      await client.query('begin')
      await client.query(`select set_config('factline.user_id', $1, true)`, [bob])
      const updated = await client.query(`update facts set content = 'hacked' where user_id = $1`, [alice])
      const deleted = await client.query(`delete from agent_sessions where user_id = $1`, [alice])
      await client.query('commit')
      expect([updated.rowCount, deleted.rowCount]).toEqual([0, 0])
    } finally {
      await client.end()
    }
    expect((await memory.recall({ userId: alice, query: 'where do I live' }))[0]?.content).toBe('Lives in Porto')
  })

  it("does not hand another user's session to a factline handle: reads find nothing, writes fail with session_conflict", async () => {
    const foreign = memory.session(`chat-${alice}`, { userId: `mallory-${suffix}` })
    expect(await foreign.getItems()).toEqual([])
    await expect(foreign.addItems([{ role: 'user', content: 'I live in Pyongyang.' }])).rejects.toMatchObject({ code: 'session_conflict' })
    await expect(memory.importTranscript({ sessionId: `chat-${alice}`, userId: `mallory-${suffix}`, items: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      code: 'session_conflict',
    })
    expect(await memory.session(`chat-${alice}`, { userId: alice }).getItems()).toHaveLength(1)
  })

  it('refuses the app role and the worker role any DDL', async () => {
    for (const r of [app, worker]) {
      const client = await connectAs(r)
      try {
        for (const statement of ['create table rls_probe (i int)', 'alter table facts disable row level security', 'drop policy factline_user_rows on facts']) {
          await expect(client.query(statement), `${r.name}: ${statement}`).rejects.toMatchObject({ code: '42501' })
        }
      } finally {
        await client.end()
      }
    }
  })

  it('starts the app role with the default createTables on an up-to-date database: enabling again is no DDL', async () => {
    const defaults = await createMemory({ database: { url: urlFor(app), rowLevelSecurity: true }, queue: false, env: false })
    await defaults.close()
  })

  it('fails at startup, not with empty reads, when the policies filter the role but rowLevelSecurity is off', async () => {
    await expect(createMemory({ database: { url: urlFor(app) }, createTables: false, queue: false, env: false })).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('rowLevelSecurity'),
    })
  })

  it.skipIf(lacks('redis'))('runs queued extraction and the sweep as the worker role (BYPASSRLS), and refuses a worker on the app role', async () => {
    const queue = { url: inject('redisUrl'), name: uniqueId('rls') }
    const producer = await createMemory({ database: { url: urlFor(app), rowLevelSecurity: true }, createTables: false, queue, env: false })
    const workerMemory = await createMemory({ database: { url: urlFor(worker) }, createTables: false, queue, env: false })
    try {
      await expect(producer.worker()).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('BYPASSRLS') })
      await workerMemory.worker({ concurrency: 1 })
      const carol = `carol-${suffix}`
      await producer.session(`chat-${carol}`, { userId: carol }).addItems([{ role: 'user', content: 'I live in Lyon.' }])
      const [fact] = await waitFor(async () => {
        const found = await producer.recall({ userId: carol, query: 'where do I live' })
        return found.length > 0 ? found : undefined
      }, 'the worker to extract carol\'s turn')
      expect(fact?.content).toBe('Lives in Lyon')
      expect(await workerMemory.sweep()).toEqual({ enqueued: 0, failed: [] })
    } finally {
      await producer.close()
      await workerMemory.close()
    }
  })

  it("refuses the operator's CLI commands on the app role (they would list and erase nothing), and runs them as the worker role", async () => {
    const cli = (r: Role, args: string[]) =>
      run(process.execPath, ['dist/src/cli/main.js', ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: urlFor(r), FACTLINE_RLS: '1', REDIS_URL: '' },
      }).then(
        (done) => ({ code: 0, stdout: done.stdout, stderr: done.stderr }),
        (failed: { code: number; stdout: string; stderr: string }) => ({ code: failed.code, stdout: failed.stdout, stderr: failed.stderr }),
      )
    for (const args of [['facts', 'list', '--user', bob], ['sessions', 'list'], ['facts', 'forget', '--user', bob], ['reindex']]) {
      const refused = await cli(app, args)
      expect(refused.code, args.join(' ')).toBe(1)
      expect(refused.stderr, args.join(' ')).toContain('BYPASSRLS')
    }
    const listed = await cli(worker, ['facts', 'list', '--user', bob])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain('Lives in Oslo')
  })

  it('erases a user as the app role, trigger-written events included', async () => {
    expect(await memory.forgetUser(bob)).toMatchObject({ sessions: 1, messages: 2 })
    const owner = await connectAs(migrator)
    try {
      for (const table of ['agent_sessions', 'facts', 'fact_events', 'transcript_excerpts']) {
        const left = await owner.query(`select 1 from ${table} where user_id = $1`, [bob])
        expect(left.rows, table).toEqual([])
      }
    } finally {
      await owner.end()
    }
  })
})
