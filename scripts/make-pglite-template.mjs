// Part of `npm run build`: makes dist/pglite-template-<pglite version>.tar.gz, the data folder of a
// freshly initialised PGlite. A new embedded database starts from it instead of running initdb
// (seconds of WebAssembly work): see src/db/pglite-template.ts and bench/cold-start.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'

const { version } = JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8'))
const target = `dist/pglite-template-${version}.tar.gz`
if (!existsSync(target)) {
  const pglite = await PGlite.create('memory://', { extensions: { vector } })
  const dump = await pglite.dumpDataDir('gzip')
  await pglite.close()
  mkdirSync('dist', { recursive: true })
  writeFileSync(target, Buffer.from(await dump.arrayBuffer()))
}
