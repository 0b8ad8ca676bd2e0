import { sql, type Kysely } from 'kysely'
import pg from 'pg'
import { expect, inject, it } from 'vitest'
import { databaseOptionsFrom } from '../../../src/config/components.js'
import { configFromEnv } from '../../../src/config/env.js'
import { createDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import type { Database } from '../../../src/db/schema.js'
import { isFactlineError } from '../../../src/errors.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeWith } from '../../helpers/services.js'

/** A URL of the test database that no other pool in this process shares (pools are per URL). */
function ownUrl(): string {
  const url = new URL(inject('databaseUrl'))
  url.searchParams.set('application_name', uniqueId('timeouts').slice(0, 60))
  return url.toString()
}

async function show(db: Kysely<Database>, name: string): Promise<string> {
  const { rows } = await sql<{ value: string }>`select current_setting(${name}) as value`.execute(db)
  return rows[0]!.value
}

describeWith('postgres')('server-side timeouts on the pools factline opens', () => {
  it('applies safe defaults to every connection of a URL pool', async () => {
    const handle = await createDb({ url: ownUrl() })
    try {
      expect(await show(handle.db, 'statement_timeout')).toBe('1min')
      expect(await show(handle.db, 'lock_timeout')).toBe('10s')
      expect(await show(handle.db, 'idle_in_transaction_session_timeout')).toBe('1min')
    } finally {
      await handle.close()
    }
  })

  it('cancels a statement past statement_timeout with a typed timeout error', async () => {
    const handle = await createDb({ url: ownUrl(), timeouts: { statementMs: 200 } })
    try {
      expect(await show(handle.db, 'statement_timeout')).toBe('200ms')
      const error = await sql`select pg_sleep(30)`.execute(handle.db).catch((e: unknown) => e)
      expect(isFactlineError(error, 'timeout')).toBe(true)
      expect(error).toMatchObject({ details: { sqlState: '57014', retryable: true } })
      // The connection is still good: the pool hands it out again.
      expect(await show(handle.db, 'statement_timeout')).toBe('200ms')
    } finally {
      await handle.close()
    }
  })

  it('gives up waiting for a lock past lock_timeout with a typed timeout error, inside a transaction too', async () => {
    const holder = new pg.Client({ connectionString: inject('databaseUrl') })
    await holder.connect()
    const handle = await createDb({ url: ownUrl(), timeouts: { lockMs: 100 } })
    const sessionId = uniqueId('locked')
    try {
      await handle.db.insertInto('agent_sessions').values({ session_id: sessionId, user_id: 'u', namespace: 'default' }).execute()
      await holder.query('begin')
      await holder.query('select 1 from agent_sessions where session_id = $1 for update', [sessionId])
      const attempt = handle.db.transaction().execute((trx) =>
        trx.updateTable('agent_sessions').set({ extracted_through: 1 }).where('session_id', '=', sessionId).execute(),
      )
      await expect(attempt).rejects.toMatchObject({ code: 'timeout', details: { sqlState: '55P03' } })
      await holder.query('rollback')
    } finally {
      await holder.end()
      await handle.db.deleteFrom('agent_sessions').where('session_id', '=', sessionId).execute()
      await handle.close()
    }
  })

  it('types the timeouts of a pool you pass in, whose settings are yours', async () => {
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), statement_timeout: 150, max: 1 })
    const handle = await createDb({ pool })
    try {
      await expect(sql`select pg_sleep(30)`.execute(handle.db)).rejects.toMatchObject({ code: 'timeout' })
    } finally {
      await handle.close()
      await pool.end()
    }
  })

  it('sends nothing for 0, leaving the server default in force', async () => {
    const handle = await createDb({ url: ownUrl(), timeouts: { statementMs: 0, lockMs: 0, idleInTransactionMs: 0 } })
    try {
      expect(await show(handle.db, 'statement_timeout')).toBe('0')
    } finally {
      await handle.close()
    }
  })

  it('reads the timeouts and FACTLINE_RLS from the environment, explicit options winning', () => {
    const env = configFromEnv({
      DATABASE_URL: 'postgres://app@db/factline',
      FACTLINE_RLS: '1',
      FACTLINE_STATEMENT_TIMEOUT_MS: '5000',
      FACTLINE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0',
    })
    expect(databaseOptionsFrom(undefined, env)).toEqual({
      url: 'postgres://app@db/factline',
      rowLevelSecurity: true,
      timeouts: { statementMs: 5000, idleInTransactionMs: 0 },
    })
    expect(databaseOptionsFrom({ url: 'postgres://x@y/z', rowLevelSecurity: false, timeouts: { statementMs: 1 } }, env)).toEqual({
      url: 'postgres://x@y/z',
      rowLevelSecurity: false,
      timeouts: { statementMs: 1, idleInTransactionMs: 0 },
    })
    expect(databaseOptionsFrom({ rowLevelSecurity: true }, configFromEnv({}))).toEqual({ rowLevelSecurity: true })
    expect(databaseOptionsFrom(undefined, configFromEnv({}))).toBeUndefined()
    expect(() => configFromEnv({ FACTLINE_RLS: 'yes please' })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })

  it('runs migrations without the statement timeout and restores it afterwards', async () => {
    // One connection: the one the migrator used is the one read back.
    const handle = await createDb({ url: ownUrl(), poolSize: 1, timeouts: { statementMs: 1500 } })
    try {
      await migrate(handle, { embeddingDimensions: 384 })
      expect(await show(handle.db, 'statement_timeout')).toBe('1500ms')
    } finally {
      await handle.close()
    }
  })
})
