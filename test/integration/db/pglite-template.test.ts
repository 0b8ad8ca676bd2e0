import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { allMigrations } from '../../../migrations/all-migrations.js'
import { createDb, type FactlineDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { readPGliteTemplate, sourcesChanged, templateFits } from '../../../src/db/pglite-template.js'
import { resolveTableNames } from '../../../src/db/table-names.js'
import { DEFAULT_HASH_DIMENSIONS, HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { createMemory } from '../../../src/memory.js'

// Everything a migration leaves in the database, apart from when it ran.
async function schemaOf(handle: FactlineDb): Promise<Record<string, unknown[]>> {
  const rows = async (query: ReturnType<typeof sql>) => (await query.execute(handle.db)).rows
  return {
    columns: await rows(sql`
      select table_name, column_name, data_type, udt_name, is_nullable, column_default, ordinal_position
      from information_schema.columns where table_schema = 'public' order by table_name, column_name`),
    vectorColumns: await rows(sql`
      select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and a.attnum > 0 and not a.attisdropped order by 1, 2`),
    constraints: await rows(sql`
      select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def
      from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`),
    indexes: await rows(sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`),
    triggers: await rows(sql`
      select tgrelid::regclass::text as tbl, tgname, pg_get_triggerdef(oid) as def
      from pg_trigger where not tgisinternal order by 1, 2`),
    functions: await rows(sql`
      select proname, pg_get_functiondef(p.oid) as def from pg_proc p
      where pronamespace = 'public'::regnamespace and prokind = 'f' and proname not like '%vector%' order by 1, 2`),
    policies: await rows(sql`select tablename, policyname, cmd, qual, with_check from pg_policies order by 1, 2`),
    rowSecurity: await rows(sql`
      select relname, relrowsecurity, relforcerowsecurity from pg_class
      where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1`),
    extensions: await rows(sql`select extname, extversion from pg_extension order by 1`),
    meta: await rows(sql`select key, value from factline_meta order by key`),
    migrations: await rows(sql`select name from factline_migrations order by name`),
  }
}

const firstMigrationTime = async (handle: FactlineDb) =>
  new Date(((await sql<{ t: Date }>`select min(timestamp) as t from factline_migrations`.execute(handle.db)).rows[0]!).t)

describe('embedded databases made from the build template', () => {
  const dir = mkdtempSync(join(tmpdir(), 'factline-template-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a new folder starts from the migrated template with exactly the schema the migrations make', async () => {
    const startedAt = new Date()
    const memory = await createMemory({ database: { dataDir: join(dir, 'new') }, env: false })
    const fromTemplate = await schemaOf(memory.db)
    expect(fromTemplate.policies!.length).toBeGreaterThan(0)
    expect(fromTemplate.columns!.length).toBeGreaterThan(30)
    // Migrated at build time, before this test: the template was used, not the migrations.
    expect((await firstMigrationTime(memory.db)).getTime()).toBeLessThan(startedAt.getTime())

    const pglite = await PGlite.create('memory://', { extensions: { vector } }) // initdb, no template
    const scratch = await createDb({ pglite })
    await migrate(scratch, { embeddingDimensions: DEFAULT_HASH_DIMENSIONS })
    await sql`insert into factline_meta (key, value) values ('embedder', ${memory.embedder.id})`.execute(scratch.db)
    expect(fromTemplate).toEqual(await schemaOf(scratch))
    await scratch.close()
    await pglite.close()

    // And it behaves as a migrated database: a turn is stored, extracted and recalled.
    const session = memory.session('s1', { userId: 'ada' })
    await session.addItems([{ role: 'user', content: 'I live in Lisbon.' }])
    await memory.flush()
    expect((await memory.recall({ userId: 'ada', query: 'where do I live' }))[0]?.content).toMatch(/Lisbon/)
    await memory.close()

    // Reopened as an existing folder: same schema, nothing to migrate.
    const reopened = await createMemory({ database: { dataDir: join(dir, 'new') }, env: false })
    expect(await schemaOf(reopened.db)).toEqual(fromTemplate)
    await reopened.close()
  }, 120_000)

  it('migrates as before when the planned schema differs: another dimension, other table names', async () => {
    const startedAt = new Date()
    const memory = await createMemory({
      database: { dataDir: join(dir, 'dims') },
      embedder: new HashEmbedder({ dimensions: 64 }),
      env: false,
    })
    expect((await sql<{ value: string }>`select value from factline_meta where key = 'embedding_dimensions'`.execute(memory.db.db)).rows).toEqual([
      { value: '64' },
    ])
    expect((await firstMigrationTime(memory.db)).getTime()).toBeGreaterThanOrEqual(startedAt.getTime() - 1000)
    await memory.close()

    const prefixed = await createMemory({ database: { dataDir: join(dir, 'tables') }, tables: { sessions: 'chat_sessions' }, env: false })
    const { rows } = await sql<{ name: string }>`select name from chat_sessions_migrations`.execute(prefixed.db.db)
    expect(rows).toHaveLength(Object.keys(allMigrations({ tables: prefixed.db.tables, embeddingDimensions: 1 })).length)
    await expect(sql`select 1 from factline_migrations`.execute(prefixed.db.db)).rejects.toThrow(/does not exist/)
    await prefixed.close()
  }, 120_000)

  it('uses the migrated template only when it holds exactly the current migrations, tables and dimension', async () => {
    const tables = resolveTableNames()
    const migrations = Object.keys(allMigrations({ tables, embeddingDimensions: DEFAULT_HASH_DIMENSIONS }))
    const manifest = { migrations, tables, embeddingDimensions: DEFAULT_HASH_DIMENSIONS }
    const planned = { tables, embeddingDimensions: DEFAULT_HASH_DIMENSIONS }
    expect(templateFits(manifest, planned)).toBe(true)
    // A template made before the newest migration (or after one this code lacks) is not used.
    expect(templateFits({ ...manifest, migrations: migrations.slice(0, -1) }, planned)).toBe(false)
    expect(templateFits({ ...manifest, migrations: [...migrations, '0099_future'] }, planned)).toBe(false)
    expect(templateFits(manifest, { ...planned, embeddingDimensions: 1536 })).toBe(false)
    expect(templateFits(manifest, { ...planned, tables: resolveTableNames({ facts: 'memories' }) })).toBe(false)

    // In a checkout, a migration edited after the build (same names, other code) is caught too.
    const built = JSON.parse(readFileSync(join('dist', readdirSync('dist').find((n) => n.endsWith('-migrated.json'))!), 'utf8'))
    expect(await sourcesChanged(built, 'migrations')).toBe(false)
    expect(await sourcesChanged({ ...built, sourceDigest: 'an older build' }, 'migrations')).toBe(true)
    expect(await sourcesChanged({ ...built, sourceDigest: 'an older build' }, join(dir, 'no-such-folder'))).toBe(false)

    const migrated = await readPGliteTemplate(planned)
    const plain = await readPGliteTemplate()
    const other = await readPGliteTemplate({ ...planned, embeddingDimensions: 1536 })
    expect(migrated && plain && other).toBeTruthy()
    expect(migrated!.equals(plain!)).toBe(false)
    expect(other!.equals(plain!)).toBe(true)
  })

  it('a new folder is made with fewer files (no template0, no map forks) and PostgreSQL remakes the forks when it needs them', async () => {
    const dataDir = join(dir, 'lean')
    const memory = await createMemory({ database: { dataDir }, env: false })
    const files = (folder: string): string[] => readdirSync(join(dataDir, folder), { recursive: true }).map(String)
    expect(files('.').some((f) => /\d_(fsm|vm)$/.test(f))).toBe(false)
    const databases = (await sql<{ datname: string }>`select datname from pg_database order by 1`.execute(memory.db.db)).rows
    expect(databases.map((d) => d.datname)).toEqual(['postgres', 'template1'])

    // Catalog pages the template marked all-visible are written to (a table is created), then a
    // table is filled and vacuumed: the forks come back, and every row reads back after a reopen.
    await sql`create table lean_check (id int primary key, note text)`.execute(memory.db.db)
    await sql`insert into lean_check select g, repeat('x', 200) from generate_series(1, 5000) g`.execute(memory.db.db)
    await sql`delete from lean_check where id % 2 = 0`.execute(memory.db.db)
    await sql`vacuum lean_check`.execute(memory.db.db)
    const { rows } = await sql<{ path: string }>`select pg_relation_filepath('lean_check') as path`.execute(memory.db.db)
    await memory.close()
    expect(files('.')).toEqual(expect.arrayContaining([`${rows[0]!.path}_fsm`, `${rows[0]!.path}_vm`]))

    const reopened = await createMemory({ database: { dataDir }, env: false })
    const count = await sql<{ n: number }>`select count(*)::int as n from lean_check`.execute(reopened.db.db)
    expect(count.rows[0]!.n).toBe(2500)
    await sql`insert into lean_check select g, 'again' from generate_series(5001, 5100) g`.execute(reopened.db.db)
    expect((await sql<{ n: number }>`select count(*)::int as n from lean_check`.execute(reopened.db.db)).rows[0]!.n).toBe(2600)
    await reopened.close()
  }, 120_000)
})
