import { sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { allMigrations } from '../../../migrations/all-migrations.js'
import { createDb, type FactlineDb } from '../../../src/db/create-db.js'
import { distributedTablesInOrder, distributeTables } from '../../../src/db/distribute.js'
import { isDistributed } from '../../../src/db/is-distributed.js'
import { migrate } from '../../../src/db/migrate.js'
import { migrationTableName } from '../../../src/db/table-names.js'
import { createCitusDatabase } from '../../helpers/citus-cluster.js'
import { openPGlite } from '../../helpers/databases.js'
import { describeWith, lacks } from '../../helpers/services.js'
import { TEST_EMBEDDING_DIMENSIONS } from '../../helpers/test-env.js'

describeWith('citus')('factline migrate --distributed on Citus', () => {
  let handle: FactlineDb
  beforeAll(async () => {
    handle = await createDb({ url: inject('citusUrl') })
  })
  afterAll(async () => {
    await handle?.close()
  })

  it('distributes every per-user table by user_id in one colocation group, and the meta table as a reference table', async () => {
    const { rows } = await sql<{ table: string; method: string; column: string | null; colocation: number }>`
      select logicalrelid::regclass::text as table, partmethod as method,
        column_to_column_name(logicalrelid, partkey) as column, colocationid as colocation
      from pg_dist_partition`.execute(handle.db)
    const byTable = new Map(rows.map((r) => [r.table, r]))
    const perUser = distributedTablesInOrder(handle.tables)
    const anchor = byTable.get(handle.tables.sessions)
    expect(anchor).toMatchObject({ method: 'h', column: 'user_id' })
    for (const table of perUser) {
      expect(byTable.get(table), table).toMatchObject({ method: 'h', column: 'user_id', colocation: anchor!.colocation })
    }
    expect(byTable.get(handle.tables.meta)).toMatchObject({ method: 'n' })
    // Kysely's bookkeeping stays a plain table on the coordinator.
    expect(byTable.has(migrationTableName(handle.tables))).toBe(false)
    expect(rows).toHaveLength(perUser.length + 1)
  })

  it('drops what only a single node can enforce: the global session-id index and the orphan-retraction trigger', async () => {
    const { rows } = await sql<{ index: string | null; triggers: number }>`
      select to_regclass(${`${handle.tables.sessions}_session_id_key`})::text as index,
        (select count(*)::int from pg_trigger where tgrelid = to_regclass(${handle.tables.factSources}) and not tgisinternal) as triggers`.execute(handle.db)
    expect(rows[0]).toEqual({ index: null, triggers: 0 })
  })

  it('is idempotent: distributing again, or migrating, changes nothing', async () => {
    await expect(distributeTables(handle)).resolves.toEqual({ distributed: [], referenced: [], adjusted: [] })
    const result = await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
    expect(result).toMatchObject({ applied: [], distribution: { distributed: [], referenced: [], adjusted: [] } })
  })

  it('isDistributed is true on Citus and false on PGlite (no pg_dist_partition there)', async () => {
    await expect(isDistributed(handle.db, handle.tables.sessions)).resolves.toBe(true)
    const pglite = await openPGlite()
    try {
      await expect(isDistributed(pglite.db, pglite.tables.sessions)).resolves.toBe(false)
      await expect(distributeTables(pglite)).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('PGlite') })
    } finally {
      await pglite.close()
    }
  })

  it.skipIf(lacks('postgres'))('refuses plain PostgreSQL (no citus extension) and reports it undistributed', async () => {
    const plain = await createDb({ url: inject('databaseUrl') })
    try {
      await expect(isDistributed(plain.db, plain.tables.sessions)).resolves.toBe(false)
      await expect(distributeTables(plain)).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('citus extension') })
    } finally {
      await plain.close()
    }
  })
})

describeWith('citus')('factline migrate --distributed refusals', () => {
  let database: { url: string; drop: () => Promise<void> }
  let handle: FactlineDb
  beforeAll(async () => {
    database = await createCitusDatabase(inject('citusUrl'), 'factline_citus_refusal')
    handle = await createDb({ url: database.url })
  })
  afterAll(async () => {
    await handle?.close()
    await database?.drop()
  })

  it('names the tables lacking the tenant column when migration 0008 is not applied, and changes nothing', async () => {
    const tableName = migrationTableName(handle.tables)
    const migrations = allMigrations({ tables: handle.tables, embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
    const { error } = await new Migrator({
      db: handle.db,
      provider: { getMigrations: async () => migrations },
      migrationTableName: tableName,
      migrationLockTableName: `${tableName}_lock`,
    }).migrateTo('0007_row_level_security')
    expect(error).toBeUndefined()
    await expect(distributeTables(handle)).rejects.toMatchObject({
      code: 'migration_required',
      message: expect.stringMatching(/agent_messages.*lack the tenant column.*factline migrate/),
    })
    await expect(isDistributed(handle.db, handle.tables.sessions)).resolves.toBe(false)
  })

  it('says which table and what to do when Citus refuses a constraint, and leaves every table local', async () => {
    await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
    // A unique key without the tenant column, as an operator might have added by hand.
    await sql`create unique index facts_content_key on ${sql.table(handle.tables.facts)} (content)`.execute(handle.db)
    const refusal = distributeTables(handle)
    await expect(refusal).rejects.toMatchObject({ code: 'invalid_config', details: { table: handle.tables.facts } })
    await expect(refusal).rejects.toThrow(/Citus refused to distribute table facts: .*Nothing was changed.*include user_id/s)
    await expect(isDistributed(handle.db, handle.tables.sessions)).resolves.toBe(false)
    const { rows } = await sql<{ index: string | null }>`select to_regclass(${`${handle.tables.sessions}_session_id_key`})::text as index`.execute(handle.db)
    expect(rows[0]?.index).toBe(`${handle.tables.sessions}_session_id_key`)

    await sql`drop index facts_content_key`.execute(handle.db)
    const done = await distributeTables(handle)
    expect(done.distributed).toEqual(distributedTablesInOrder(handle.tables))
    expect(done.referenced).toEqual([handle.tables.meta])
  })
})
