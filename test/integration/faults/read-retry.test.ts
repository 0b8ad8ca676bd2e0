import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { TEST_EMBEDDING_DIMENSIONS, uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'
import { describeWith } from '../../helpers/services.js'

// A database of its own: the tests lock whole tables to hold a statement in flight while its
// connection is killed, and must not stall other suites of the run.
const appName = uniqueId('retry').slice(0, 60)
let admin: pg.Client
let dbName: string
let memory: Memory

function databaseUrl(name: string, params: Record<string, string> = {}): string {
  const url = new URL(inject('databaseUrl'))
  url.pathname = `/${name}`
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.toString()
}

beforeAll(async () => {
  dbName = `factline_retry_${uniqueId('db').replaceAll('-', '').slice(2, 18)}`
  admin = new pg.Client({ connectionString: inject('databaseUrl') })
  await admin.connect()
  await admin.query(`create database ${dbName}`)
  const handle = await createDb({ url: databaseUrl(dbName) })
  await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
  await handle.close()
  memory = await createMemory({ database: { url: databaseUrl(dbName, { application_name: appName }) }, queue: false, env: false })
})

afterAll(async () => {
  await memory?.close()
  await admin?.query(`drop database if exists ${dbName} with (force)`)
  await admin?.end()
})

/**
 * Runs `call` while `table` is locked by another transaction, so its statement waits on the
 * lock; kills the backend serving it `kills` times (each time once a backend of the memory waits
 * on the lock), then releases the lock and returns how the call settled.
 */
async function killWhileInFlight<T>(
  table: string,
  call: () => Promise<T>,
  kills = 1,
  application = appName,
): Promise<PromiseSettledResult<T>> {
  const locker = new pg.Client({ connectionString: databaseUrl(dbName) })
  await locker.connect()
  try {
    await locker.query('begin')
    await locker.query(`lock table ${table} in access exclusive mode`)
    const settled = Promise.allSettled([call()]).then(([r]) => r!)
    const killed = new Set<number>()
    for (let i = 0; i < kills; i++) {
      // Polled from outside the locking transaction: pg_stat_activity is a snapshot within one.
      const pids = await waitFor(async () => {
        const { rows } = await admin.query<{ pid: number }>(
          "select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
          [application],
        )
        const fresh = rows.map((r) => r.pid).filter((pid) => !killed.has(pid))
        return fresh.length > 0 ? fresh : undefined
      }, 'a statement of the memory to wait on the lock')
      // Wait (up to 10 s) until the backend has exited: otherwise the lock below may be released
      // first and the statement completes before the signal lands.
      await admin.query('select pg_terminate_backend(pid, 10000) from unnest($1::int[]) as pid', [pids])
      for (const pid of pids) killed.add(pid)
    }
    await locker.query('commit')
    return await settled
  } finally {
    await locker.end()
  }
}

/** A fact of `userId` drawn from a message of a new session, as extraction would store it. */
async function addFact(userId: string, content: string, kind: string) {
  const sessionId = uniqueId('session')
  await memory.session(sessionId, { userId }).addItems([{ role: 'user', content }])
  const { id } = await memory.db.db.selectFrom('agent_messages').select('id').where('session_id', '=', sessionId).executeTakeFirstOrThrow()
  return memory.facts.add({ userId, content, kind, sources: [{ sessionId, messageId: Number(id) }] })
}

describeWith('postgres')('reads retry once on a dropped connection', () => {
  it('session.getItems returns the items although its connection was killed mid-statement', async () => {
    const session = memory.session(uniqueId('session'), { userId: uniqueId('user') })
    await session.addItems([{ role: 'user', content: 'I work at Initech.' }, { role: 'user', content: 'I live in Austin.' }])
    const result = await killWhileInFlight('agent_messages', () => session.getItems())
    expect(result).toMatchObject({ status: 'fulfilled', value: [{ content: 'I work at Initech.' }, { content: 'I live in Austin.' }] })
  })

  it('recall, search and explain return their results although their connection was killed mid-statement', async () => {
    const userId = uniqueId('user')
    const fact = await addFact(userId, 'Works at Initech', 'employer')
    const recalled = await killWhileInFlight('facts', () => memory.recall({ userId, query: 'where does she work?' }))
    expect(recalled).toMatchObject({ status: 'fulfilled', value: [{ id: fact.id }] })
    const searched = await killWhileInFlight('facts', () => memory.search({ userId, query: 'Initech' }))
    expect(searched).toMatchObject({ status: 'fulfilled', value: [{ id: fact.id }] })
    const explained = await killWhileInFlight('facts', () => memory.explain(fact.id, { userId }))
    expect(explained).toMatchObject({ status: 'fulfilled', value: { fact: { id: fact.id } } })
  })

  it('context reads (owner check, recent items, search) survive a killed connection', async () => {
    const userId = uniqueId('user')
    await addFact(userId, 'Lives in Lisbon', 'residence')
    const session = memory.session(uniqueId('session'), { userId })
    await session.addItems([{ role: 'user', content: 'Hello again.' }])
    const result = await killWhileInFlight('agent_sessions', () => memory.context({ userId, session, input: 'where do I live?' }))
    expect(result.status).toBe('fulfilled')
  })

  // A session with a connection pool (and application name) of its own: no extraction or other
  // background statement of the memory can be the one caught on the lock and killed instead.
  const soloSession = () => {
    const application = uniqueId('solo').slice(0, 60)
    const session = new PostgresSession({
      sessionId: uniqueId('session'),
      userId: uniqueId('user'),
      database: { url: databaseUrl(dbName, { application_name: application }) },
    })
    return { session, application }
  }

  it('gives up after one retry with a typed connection_failed', async () => {
    const { session, application } = soloSession()
    await session.addItems([{ role: 'user', content: 'I work at Hooli.' }])
    const result = await killWhileInFlight('agent_messages', () => session.getItems(), 2, application)
    await session.close()
    expect(result).toMatchObject({ status: 'rejected', reason: { code: 'connection_failed', details: { retryable: true, database: dbName } } })
  })

  it('never retries a write: addItems fails and stores nothing', async () => {
    const { session, application } = soloSession()
    await session.addItems([{ role: 'user', content: 'first' }])
    const result = await killWhileInFlight('agent_messages', () => session.addItems([{ role: 'user', content: 'second' }]), 1, application)
    expect(result.status).toBe('rejected')
    expect((await session.getItems()).map((i) => (i as { content: string }).content)).toEqual(['first'])
    await session.close()
  })
})
