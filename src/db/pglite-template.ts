import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { allMigrations } from '../../migrations/all-migrations.js'
import { packageRequire } from '../package-require.js'
import type { TableNames } from './table-names.js'

/** The schema a new embedded database is about to get: `migrate()` runs next with these settings. */
export interface PlannedSchema {
  tables: TableNames
  embeddingDimensions: number
}

/**
 * What the build's migrated template holds, written next to it by scripts/make-pglite-template.mjs.
 * It is used only when all three match what `migrate()` would create now.
 */
export interface MigratedTemplateManifest {
  migrations: string[]
  tables: TableNames
  embeddingDimensions: number
  /** Digest of the migrations' TypeScript sources it was built from (see {@link sourcesChanged}). */
  sourceDigest?: string
}

/**
 * The data folder a new PGlite database starts from, made at build time by
 * scripts/make-pglite-template.mjs for the installed PGlite version, so that initdb (seconds of
 * WebAssembly work) is skipped:
 * - with `planned`, the template already migrated with the default table names and the offline
 *   embedding dimension, when it was made by exactly these migrations for exactly that schema
 *   (saves running them, about a second); `migrate()` then finds nothing to do;
 * - else the template of a freshly initialised, empty cluster.
 * Returns the gzipped tar PGlite's `dumpDataDir` made, or undefined when there is none (a source
 * checkout before `npm run build`, another PGlite version).
 */
export async function readPGliteTemplate(planned?: PlannedSchema): Promise<Buffer | undefined> {
  try {
    const root = dirname(packageRequire.resolve('factline/package.json'))
    const base = join(root, 'dist', `pglite-template-${pgliteVersion()}`)
    if (planned && (await migratedTemplateFits(`${base}-migrated.json`, planned, root))) {
      return await readFile(`${base}-migrated.tar.gz`)
    }
    return existsSync(`${base}.tar.gz`) ? await readFile(`${base}.tar.gz`) : undefined
  } catch {
    return undefined
  }
}

async function migratedTemplateFits(manifestPath: string, planned: PlannedSchema, root: string): Promise<boolean> {
  if (!existsSync(manifestPath)) return false
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as MigratedTemplateManifest
  return templateFits(manifest, planned) && !(await sourcesChanged(manifest, join(root, 'migrations')))
}

/**
 * In a source checkout (an installed package ships no migrations/ folder), whether a migration was
 * edited since the build: tests and tsx run the sources, and a template made from the old code would
 * hand them the old schema under the same migration names.
 */
export async function sourcesChanged(manifest: MigratedTemplateManifest, folder: string): Promise<boolean> {
  if (!existsSync(folder)) return false
  const hash = createHash('sha256')
  for (const name of (await readdir(folder)).filter((n) => n.endsWith('.ts')).sort()) {
    hash.update(name).update(await readFile(join(folder, name)))
  }
  return hash.digest('hex') !== manifest.sourceDigest
}

/** Whether a migrated template was made by this code's migrations for the planned schema. */
export function templateFits(manifest: MigratedTemplateManifest, planned: PlannedSchema): boolean {
  return (
    manifest.embeddingDimensions === planned.embeddingDimensions &&
    isDeepStrictEqual(manifest.tables, planned.tables) &&
    isDeepStrictEqual(manifest.migrations, Object.keys(allMigrations(planned)))
  )
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
