import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { packageRequire } from '../package-require.js'

/**
 * The data folder of a freshly initialised PGlite, made at build time by
 * scripts/make-pglite-template.mjs for the installed PGlite version, or undefined when there is none
 * (a source checkout before `npm run build`, another PGlite version). Loading it skips initdb.
 */
export async function readPGliteTemplate(): Promise<Blob | undefined> {
  try {
    const path = join(dirname(packageRequire.resolve('factline/package.json')), 'dist', `pglite-template-${pgliteVersion()}.tar.gz`)
    return existsSync(path) ? new Blob([await readFile(path)]) : undefined
  } catch {
    return undefined
  }
}

// PGlite does not export its package.json: walk up from its entry point.
function pgliteVersion(): string {
  let dir = dirname(packageRequire.resolve('@electric-sql/pglite'))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return (packageRequire(join(dir, 'package.json')) as { version: string }).version
}

/** True when `dataDir` holds no PostgreSQL cluster yet (missing, empty, or without PG_VERSION). */
export function isNewDataDir(dataDir: string): boolean {
  return dataDir === 'memory://' || !existsSync(join(dataDir, 'PG_VERSION'))
}
