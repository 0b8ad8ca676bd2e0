import type { AgentInputItem } from '@openai/agents'
import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createMemory } from '../../../src/index.js'
import { describeWith } from '../../helpers/services.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const ROLES_SCRIPT = 'deploy/postgres/01-roles.sh'
const CHECK_SCRIPT = 'deploy/postgres/check-roles.sh'
const CLI = 'dist/src/cli/main.js'

/**
 * Runs the compose init script against the test server the way the postgres image does, then
 * connects as each role. Roles are cluster-wide, so every name carries this run's suffix.
 */
describeWith('postgres')('least-privilege roles (deploy/postgres/01-roles.sh)', () => {
  // collected even when skipped: a placeholder keeps collection from throwing without PostgreSQL
  const admin = new URL(inject('databaseUrl') || 'postgres://missing')
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12)
  const db = `factline_roles_${suffix}`
  const unmigratedDb = `factline_roles_${suffix}_empty`
  const migrator = { name: `factline_migrator_${suffix}`, password: randomBytes(16).toString('hex') }
  const app = { name: `factline_app_${suffix}`, password: randomBytes(16).toString('hex') }
  const adminClient = new pg.Client({ connectionString: admin.toString() })

  /** libpq's view of the admin connection, for psql in the scripts. */
  const pgEnv = {
    PGHOST: admin.hostname.replace(/^\[(.*)\]$/, '$1'),
    PGPORT: admin.port || '5432',
    PGUSER: decodeURIComponent(admin.username),
    PGPASSWORD: decodeURIComponent(admin.password),
  }
  const urlFor = (role: { name: string; password: string }, database = db) => {
    const url = new URL(admin)
    url.username = role.name
    url.password = role.password
    url.pathname = `/${database}`
    return url.toString()
  }
  const runRolesScript = (database: string) =>
    run('bash', [ROLES_SCRIPT], {
      cwd: root,
      env: {
        ...process.env,
        ...pgEnv,
        POSTGRES_USER: pgEnv.PGUSER,
        POSTGRES_DB: database,
        FACTLINE_MIGRATOR_ROLE: migrator.name,
        FACTLINE_APP_ROLE: app.name,
        FACTLINE_MIGRATOR_PASSWORD: migrator.password,
        FACTLINE_APP_PASSWORD: app.password,
      },
    })
  const connectAs = async (role: { name: string; password: string }) => {
    const client = new pg.Client({ connectionString: urlFor(role) })
    await client.connect()
    return client
  }

  beforeAll(async () => {
    if (!existsSync(`${root}${CLI}`)) throw new Error(`${CLI} is missing: run npm run build (npm run test:integration does)`)
    await adminClient.connect()
    await adminClient.query(`create database ${db}`)
    await adminClient.query(`create database ${unmigratedDb}`)
    await runRolesScript(db)
    await run(process.execPath, [CLI, 'migrate', '--embedding-dimensions', '384'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: urlFor(migrator) },
    })
  })
  afterAll(async () => {
    // Databases first: they hold the roles' grants and default privileges.
    for (const name of [db, unmigratedDb]) await adminClient.query(`drop database if exists ${name} with (force)`)
    for (const role of [migrator, app]) await adminClient.query(`drop role if exists ${role.name}`)
    await adminClient.end()
  })

  it('lets the migrator own the schema and run factline migrate without being a superuser', async () => {
    const { rows } = await adminClient.query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean }>(
      'select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = any($1)',
      [[migrator.name, app.name]],
    )
    expect(rows).toEqual([
      { rolsuper: false, rolcreatedb: false, rolcreaterole: false },
      { rolsuper: false, rolcreatedb: false, rolcreaterole: false },
    ])
    const client = await connectAs(migrator)
    try {
      const owners = await client.query<{ owner: string; tables: string }>(
        `select tableowner as owner, count(*) as tables from pg_tables where schemaname = 'public' group by tableowner`,
      )
      expect(owners.rows).toEqual([{ owner: migrator.name, tables: expect.any(String) }])
      const applied = await client.query('select name from factline_migrations order by name')
      expect(applied.rows.length).toBeGreaterThan(0)
    } finally {
      await client.end()
    }
  })

  it('lets the app role read and write the tables, sequences included', async () => {
    const client = await connectAs(app)
    const sessionId = `least-privilege-${randomUUID()}`
    try {
      await client.query(`insert into agent_sessions (session_id, user_id) values ($1, 'least-privilege-user')`, [sessionId])
      const inserted = await client.query<{ id: string }>(
        `insert into agent_messages (user_id, session_id, message_data) values ('least-privilege-user', $1, '{}') returning id`,
        [sessionId],
      )
      expect(Number(inserted.rows[0]!.id)).toBeGreaterThan(0)
      await client.query('update agent_sessions set extracted_through = $2 where session_id = $1', [sessionId, inserted.rows[0]!.id])
      const read = await client.query('select extracted_through from agent_sessions where session_id = $1', [sessionId])
      expect(read.rows).toEqual([{ extracted_through: inserted.rows[0]!.id }])
      await client.query('delete from agent_sessions where session_id = $1', [sessionId])
    } finally {
      await client.end()
    }
  })

  it('refuses the app role any DDL, temporary tables and schemas included', async () => {
    const client = await connectAs(app)
    try {
      for (const statement of [
        'create table least_privilege (i int)',
        'drop table facts',
        'alter table facts add column x int',
        'create index least_privilege_idx on facts (content)',
        'create schema least_privilege',
        'create temporary table least_privilege (i int)',
        'drop extension vector',
      ]) {
        // 42501 insufficient_privilege ("permission denied …", "must be owner of …").
        await expect(client.query(statement), statement).rejects.toMatchObject({ code: '42501' })
      }
    } finally {
      await client.end()
    }
  })

  it('runs the memory as the app role with createTables: false, through extraction, recall and forgetting', async () => {
    const memory = await createMemory({ database: { url: urlFor(app) }, createTables: false, queue: false, env: false })
    try {
      const userId = `least-privilege-${randomUUID()}`
      await memory.session(`least-privilege-${randomUUID()}`, { userId }).addItems([
        { role: 'user', content: 'I live in Porto and I work at Globex.' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Noted.' }] },
      ] as AgentInputItem[])
      await memory.flush()
      const facts = await memory.recall({ userId, query: 'where do I live' })
      expect(facts.map((f) => f.content)).toContain('Lives in Porto')
      // Deleting sessions fires the orphan-retraction trigger, which writes fact_events as the app role.
      expect(await memory.forgetUser(userId)).toMatchObject({ sessions: 1, messages: 2 })
    } finally {
      await memory.close()
    }
  })

  it('cannot migrate as the app role: on an unmigrated database createMemory fails with migration_required', async () => {
    await runRolesScript(unmigratedDb) // a second run for the same roles: it updates instead of failing
    const options = { database: { url: urlFor(app, unmigratedDb) }, queue: false, env: false } as const
    await expect(createMemory(options)).rejects.toMatchObject({
      code: 'migration_required',
      message: expect.stringContaining('permission denied'),
    })
    await expect(createMemory({ ...options, createTables: false })).rejects.toMatchObject({ code: 'migration_required' })
  })

  it('passes check-roles.sh, which leaves no database or role behind', async () => {
    const checkSuffix = `${suffix}_check`
    const { stdout } = await run('bash', [CHECK_SCRIPT], { cwd: root, env: { ...process.env, ...pgEnv, CHECK_SUFFIX: checkSuffix } })
    expect(stdout).toContain(`ok: factline_app_${checkSuffix} cannot create a table`)
    expect(stdout).not.toContain('FAIL')
    const leftovers = await adminClient.query(
      `select rolname as name from pg_roles where rolname like $1 union all select datname from pg_database where datname like $1`,
      [`%${checkSuffix}`],
    )
    expect(leftovers.rows).toEqual([])
  })
})
