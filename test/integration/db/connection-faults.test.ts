import pg from 'pg'
import { expect, inject, it } from 'vitest'
import { createMemory } from '../../../src/memory.js'
import type { Logger } from '../../../src/logger.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeWith } from '../../helpers/services.js'

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url)
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u.toString()
}

function recordingLogger(): Logger & { lines: Array<{ message: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = []
  const push = (message: string, fields?: Record<string, unknown>) => void lines.push({ message, ...(fields ? { fields } : {}) })
  return { lines, debug: push, info: push, warn: push, error: push }
}

describeWith('postgres')('connection faults', () => {
  it('reports a refused connection as connection_failed naming host, port and database, never the password', async () => {
    const error = await createMemory({ database: { url: 'postgres://app:s3cret-pw@127.0.0.1:1/factline' }, env: false }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'connection_failed', details: { host: '127.0.0.1', port: '1', database: 'factline', role: 'app', retryable: true } })
    expect((error as Error).message).toContain('127.0.0.1:1/factline')
    expect((error as Error).message).not.toContain('s3cret-pw')
  })

  it('reports a missing database as connection_failed, not migration_required', async () => {
    const url = new URL(inject('databaseUrl'))
    url.pathname = `/${uniqueId('missing').replaceAll('-', '_')}`
    await expect(createMemory({ database: { url: url.toString() }, env: false })).rejects.toMatchObject({ code: 'connection_failed' })
  })

  it('waits for the database at startup for startupWaitMs, logging each failed attempt', async () => {
    const logger = recordingLogger()
    await expect(
      createMemory({ database: { url: 'postgres://postgres@127.0.0.1:1/test' }, env: false, startupWaitMs: 700, logger }),
    ).rejects.toMatchObject({ code: 'connection_failed' })
    const retries = logger.lines.filter((l) => l.message === 'database not reachable yet; retrying')
    expect(retries.length).toBeGreaterThanOrEqual(2)
    expect(retries[0]!.fields).toMatchObject({ attempt: 1, host: '127.0.0.1', port: '1' })
  })

  it('survives the server terminating its connections, idle or checked out, and serves the next call', async () => {
    const appName = uniqueId('fault').slice(0, 60)
    const memory = await createMemory({ database: { url: withParams(inject('databaseUrl'), { application_name: appName }) }, queue: false, env: false })
    const admin = new pg.Client({ connectionString: inject('databaseUrl') })
    await admin.connect()
    const terminate = () =>
      admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [appName])
    try {
      const userId = uniqueId('user')
      const session = memory.session(uniqueId('session'), { userId })
      await session.addItems([{ role: 'user', content: 'I work at Initech.' }])
      expect(await session.getItems()).toHaveLength(1)

      // Idle clients: pg emits 'error' on the pool; without a listener this would kill the process.
      await terminate()
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(await session.getItems()).toHaveLength(1)

      // A client killed while a query runs on it: the query fails, the process lives on.
      const [sleeping] = await Promise.allSettled([
        memory.db.db.executeQuery({ sql: 'select pg_sleep(5)', parameters: [], query: { kind: 'RawNode' } } as never),
        new Promise((resolve) => setTimeout(resolve, 300)).then(terminate),
      ])
      expect(sleeping.status).toBe('rejected')
      await new Promise((resolve) => setTimeout(resolve, 200))
      await session.addItems([{ role: 'user', content: 'I live in Austin.' }])
      expect(await session.getItems()).toHaveLength(2)
    } finally {
      await admin.end()
      await memory.close()
    }
  })
})
