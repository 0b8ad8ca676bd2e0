import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'
import { lacks } from '../../helpers/services.js'

describe('createDb', () => {
  it('rejects ambiguous or unknown options with invalid_config', async () => {
    await expect(createDb({ url: 'postgres://x', dataDir: '/tmp/x' } as never)).rejects.toMatchObject({ code: 'invalid_config' })
    await expect(createDb({ uri: 'postgres://x' } as never)).rejects.toMatchObject({ code: 'invalid_config' })
  })

  it.skipIf(lacks('postgres'))('never closes a pool it was given', async () => {
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 })
    const handle = await createDb({ pool })
    await sql`select 1`.execute(handle.db)
    await handle.close()
    const again = await pool.query('select 1 as one')
    expect(again.rows).toEqual([{ one: 1 }])
    await pool.end()
  })
})
