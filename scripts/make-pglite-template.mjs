// Part of `npm run build` (after tsc): makes the data folders a new embedded database starts from,
// so that it skips initdb (seconds of WebAssembly work) and, in the usual case, the migrations too:
// - dist/pglite-template-<pglite version>.tar.gz: a freshly initialised PGlite;
// - dist/pglite-template-<pglite version>-migrated.tar.gz: the same after factline's migrations with
//   the default table names and the offline embedding dimension, described by the -migrated.json
//   next to it (migrations, tables, dimension), which src/db/pglite-template.ts compares with what
//   migrate() would create before using it. Remade whenever the built migrations change.
// See bench/cold-start.ts for what each saves.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'

const { version } = JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8'))
const base = `dist/pglite-template-${version}`
mkdirSync('dist', { recursive: true })

// A new folder is as slow to make as it has files (about a millisecond each on a slow disk), and
// template0 is a third of them. It exists only as a pristine source for `CREATE DATABASE … TEMPLATE
// template0`, which nothing does in a single-database embedded folder; PostgreSQL's documentation
// lets it be dropped (it can be remade from template1). template1, the default source of CREATE
// DATABASE, stays.
async function dropTemplate0(pglite) {
  await pglite.exec("update pg_database set datistemplate = false where datname = 'template0'")
  await pglite.exec('drop database if exists template0')
}

async function writeTemplate(path, prepare) {
  const pglite = await PGlite.create('memory://', { extensions: { vector } })
  try {
    await dropTemplate0(pglite)
    const described = await prepare(pglite)
    // Flushed to the data files, so a folder made from the dump starts without replaying WAL.
    await pglite.query('checkpoint')
    const dump = await pglite.dumpDataDir('gzip')
    writeFileSync(path, Buffer.from(await dump.arrayBuffer()))
    return described
  } finally {
    await pglite.close()
  }
}

// Remade when its format changes (`TEMPLATE_FORMAT`), not only when missing.
const TEMPLATE_FORMAT = 2
const formatPath = `${base}.format`
const formatCurrent = existsSync(formatPath) && readFileSync(formatPath, 'utf8').trim() === String(TEMPLATE_FORMAT)
if (!existsSync(`${base}.tar.gz`) || !formatCurrent) await writeTemplate(`${base}.tar.gz`, async () => {})

// Any change to the migrations' code (not only a new name) remakes the migrated template. The
// sources' digest also goes into the manifest: a checkout whose migrations/ changed after the build
// (tests run the sources) then does not use it (see src/db/pglite-template.ts).
function folderDigest(folder, suffix) {
  const hash = createHash('sha256')
  for (const name of readdirSync(folder).filter((n) => n.endsWith(suffix)).sort()) hash.update(name).update(readFileSync(join(folder, name)))
  return hash.digest('hex')
}
const digest = folderDigest('dist/migrations', '.js')
const sourceDigest = folderDigest('migrations', '.ts')
const manifestPath = `${base}-migrated.json`
const current = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : undefined
if (!formatCurrent || current?.digest !== digest || current?.sourceDigest !== sourceDigest || !existsSync(`${base}-migrated.tar.gz`)) {
  const { createDb, migrate, DEFAULT_HASH_DIMENSIONS } = await import('../dist/src/index.js')
  const manifest = await writeTemplate(`${base}-migrated.tar.gz`, async (pglite) => {
    const handle = await createDb({ pglite })
    try {
      const { applied, embeddingDimensions } = await migrate(handle, { embeddingDimensions: DEFAULT_HASH_DIMENSIONS })
      return { migrations: applied, tables: handle.tables, embeddingDimensions, digest, sourceDigest }
    } finally {
      await handle.close()
    }
  })
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
}
writeFileSync(formatPath, `${TEMPLATE_FORMAT}\n`)
