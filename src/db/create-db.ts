import { Kysely, PGliteDialect } from 'kysely'
import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { z } from 'zod'
import { parseOrThrow } from '../errors.js'
import { describeTarget } from './connection-errors.js'
import { Int8ColumnsPlugin } from './int8-columns-plugin.js'
import { isDistributed } from './is-distributed.js'
import { DEFAULT_SERVER_TIMEOUTS, ServerTimeoutsSchema, TypedErrorsPostgresDialect } from './server-timeouts.js'
import { leasePool } from './shared-pools.js'
import type { Database } from './schema.js'
import { resolveTableNames, TableNamesPlugin, type TableNameOptions, type TableNames } from './table-names.js'

/** Where the embedded database keeps its files when nothing is configured. */
export const DEFAULT_DATA_DIR = '.factline/pglite'

const isPool = (v: unknown): v is pg.Pool => v instanceof pg.Pool || (typeof v === 'object' && v !== null && 'connect' in v && 'totalCount' in v)
const isKysely = (v: unknown): v is Kysely<Database> => v instanceof Kysely
const isPGlite = (v: unknown): v is PGlite =>
  typeof v === 'object' && v !== null && 'query' in v && 'transaction' in v && 'waitReady' in v

/**
 * Tell PostgreSQL whose rows each query may touch: every user-scoped call runs in a transaction that
 * first sets `factline.user_id`, which the row-level security policies (migration 0007) compare
 * with each row. Costs round trips (see README, Security); the migrator must enable the policies
 * (`factline migrate` with `FACTLINE_RLS=1`, or `createTables` with this on). @defaultValue false
 */
const rowLevelSecurity = z.boolean().optional()
/** Server-side limits on the connections of a pool factline opens (see `ServerTimeoutsSchema`). */
const timeouts = ServerTimeoutsSchema.partial().optional()

/**
 * Where the data lives. Exactly one of:
 * - `{ url, poolSize?, timeouts? }`: PostgreSQL connection string. Everything in this process opened
 *   from the same URL shares one pg Pool of at most `poolSize` connections (default 10, set by the
 *   first opener), closed when the last user closes; idle connections never keep the process alive.
 *   `timeouts` sets `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout`
 *   (defaults 60 s, 10 s, 60 s).
 * - `{ pool }`: your pg Pool; you close it (and set its timeouts).
 * - `{ kysely }`: your `Kysely<Database>`; you destroy it.
 * - `{ pglite }`: your PGlite instance (load the `vector` extension); you close it.
 * - `{ dataDir }`: embedded PGlite keeping its files in this folder (`'memory://'` for RAM only).
 * - `{ rowLevelSecurity?, timeouts? }` or nothing: `DATABASE_URL`, else embedded PGlite in `.factline/pglite`.
 *
 * Each form also takes `rowLevelSecurity` (off by default).
 */
export const DatabaseOptionsSchema = z
  .union([
    z.strictObject({ url: z.string().min(1), poolSize: z.number().int().min(1).max(200).optional(), timeouts, rowLevelSecurity }),
    z.strictObject({ pool: z.custom<pg.Pool>(isPool, 'expected a pg Pool'), rowLevelSecurity }),
    z.strictObject({ kysely: z.custom<Kysely<Database>>(isKysely, 'expected a Kysely instance'), rowLevelSecurity }),
    z.strictObject({ pglite: z.custom<PGlite>(isPGlite, 'expected a PGlite instance'), rowLevelSecurity }),
    z.strictObject({ dataDir: z.string().min(1), rowLevelSecurity }),
    z.strictObject({ timeouts, rowLevelSecurity }),
  ])
  .optional()
export type DatabaseOptions = z.input<typeof DatabaseOptionsSchema>

/** A ready database handle: the kysely instance plus what is needed to close it honestly. */
export interface FactlineDb {
  readonly db: Kysely<Database>
  readonly tables: TableNames
  readonly backend: 'postgres' | 'pglite'
  /** Whether user-scoped calls tell the database their user (`database.rowLevelSecurity`). */
  readonly rowLevelSecurity?: boolean | undefined
  /** Host, port, database and role of a URL-opened pool (never the password), for error messages. */
  readonly target?: Readonly<Record<string, string>> | undefined
  /**
   * Whether the tables are distributed by Citus (remembered; a "no" is asked again after a minute,
   * since `migrate --distributed` may run while the app is up; never asked for PGlite).
   * Then factline does the provenance trigger's work itself (`retractFactsOfDeletedMessages`).
   */
  readonly distributed?: (() => Promise<boolean>) | undefined
  /** Closes what factline opened; leaves what you passed in alone. */
  close(): Promise<void>
}

/** Whether `handle`'s tables are distributed by Citus; ask before opening a transaction. */
export async function isDistributedHandle(handle: Pick<FactlineDb, 'distributed'>): Promise<boolean> {
  return (await handle.distributed?.()) ?? false
}

/**
 * How a new embedded data folder starts. `planned`: the schema the caller's `migrate()` is about to
 * create; when the build's migrated template matches it, the folder starts migrated.
 * @internal `createMemory` passes it; anything else gets a freshly initialised, empty database.
 */
export interface NewDataDirOptions {
  planned?: { embeddingDimensions: number } | undefined
}

/** Loads PGlite with pgvector only when embedded mode is used, so pg-only users never pay for it. */
async function openPGlite(dataDir: string, tables: TableNames, newDataDir: NewDataDirOptions): Promise<PGlite> {
  const [{ PGlite }, { vector }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
  ])
  if (dataDir !== 'memory://') await createPrivateDir(dataDir)
  // A new database starts from the build's prepared data folder: initdb takes seconds.
  const { isNewDataDir, readPGliteTemplate } = await import('./pglite-template.js')
  const planned = newDataDir.planned ? { tables, embeddingDimensions: newDataDir.planned.embeddingDimensions } : undefined
  const template = isNewDataDir(dataDir) ? await readPGliteTemplate(planned) : undefined
  if (template && dataDir !== 'memory://') {
    // Unpacked by Node, then opened as an existing folder (see unpackDataDir for why).
    const { unpackDataDir } = await import('./unpack-data-dir.js')
    await unpackDataDir(dataDir, template)
    return PGlite.create(dataDir, { extensions: { vector } })
  }
  // In memory there is no folder to unpack into; a typed, already inflated tar spares PGlite a
  // failed untar of the gzip bytes and its slower stream inflation.
  const { gunzipSync } = await import('node:zlib')
  const loadDataDir = template ? new Blob([gunzipSync(template)], { type: 'application/x-tar' }) : undefined
  return PGlite.create(dataDir, { extensions: { vector }, ...(loadDataDir ? { loadDataDir } : {}) })
}

/**
 * The folder and every parent it creates (`.factline` too) are made 0700: the files and WAL hold
 * transcript text, so other local users must not read them. mkdir's mode is masked by the umask,
 * chmod's is not. A folder that already existed is tightened when we own it.
 */
async function createPrivateDir(dataDir: string): Promise<void> {
  const { chmod, mkdir } = await import('node:fs/promises')
  const { dirname, resolve } = await import('node:path')
  const target = resolve(dataDir)
  const topCreated = await mkdir(target, { recursive: true, mode: 0o700 })
  const created: string[] = []
  if (topCreated !== undefined) {
    for (let dir = target; dir.startsWith(resolve(topCreated)); dir = dirname(dir)) created.push(dir)
  }
  for (const dir of created) await chmod(dir, 0o700)
  // Our own `.factline` parent and an existing data folder: best effort, they may belong to someone else.
  const existing = [...(created.includes(target) ? [] : [target]), ...(dataDir === DEFAULT_DATA_DIR ? [dirname(target)] : [])]
  for (const dir of existing) await chmod(dir, 0o700).catch(() => {})
}

/**
 * A dropped connection (server restart, `pg_terminate_backend`, network cut) makes pg emit 'error'
 * on the pool for an idle client and on the client itself while it is checked out; with no
 * listener Node kills the process. pg already discards the broken client and the next query
 * opens a fresh one; the failure that matters reaches the caller through the query that hit it.
 */
function keepAliveOnConnectionErrors(pool: pg.Pool): void {
  const ignore = () => {}
  pool.on('error', ignore)
  pool.on('connect', (client) => client.on('error', ignore))
}

/**
 * Opens the database behind one interface, whichever backend it is.
 * @throws FactlineError `invalid_config` when the options are malformed.
 */
export async function createDb(
  options?: DatabaseOptions,
  tableOptions: TableNameOptions = {},
  newDataDir: NewDataDirOptions = {},
): Promise<FactlineDb> {
  const config = parseOrThrow(DatabaseOptionsSchema, options, 'invalid_config', 'Invalid database options')
  const tables = resolveTableNames(tableOptions)
  // Table names first: it rewrites the query; the int8 plugin only touches results.
  const plugins = [new TableNamesPlugin(tables), new Int8ColumnsPlugin()]
  const closers: Array<() => Promise<void>> = []
  let db: Kysely<Database>
  let backend: FactlineDb['backend'] = 'postgres'
  let target: Record<string, string> = {}

  if (config && 'kysely' in config) {
    // withPlugin shares the executor; destroying it would end the caller's pool, so we never do.
    db = plugins.reduce((k, plugin) => k.withPlugin(plugin), config.kysely)
  } else if (config && 'pool' in config) {
    db = new Kysely<Database>({ dialect: new TypedErrorsPostgresDialect({ pool: config.pool }), plugins })
    // Kysely's destroy() ends the pool it wraps; the pool is the caller's, so there is nothing to close.
  } else if (config && 'url' in config) {
    // Shared per URL: kysely's destroy() would end a pool others still use, so we only release our lease.
    const lease = leasePool(config.url, config.poolSize, keepAliveOnConnectionErrors, { ...DEFAULT_SERVER_TIMEOUTS, ...config.timeouts })
    target = describeTarget(config.url)
    db = new Kysely<Database>({ dialect: new TypedErrorsPostgresDialect({ pool: lease.pool }), plugins })
    closers.push(() => lease.release())
  } else {
    backend = 'pglite'
    let pglite: PGlite
    if (config && 'pglite' in config) {
      pglite = config.pglite
    } else {
      const dataDir = config && 'dataDir' in config ? config.dataDir : DEFAULT_DATA_DIR
      if (dataDir !== 'memory://') {
        const { lockDataDir } = await import('./data-dir-lock.js')
        closers.push(await lockDataDir(dataDir))
      }
      try {
        pglite = await openPGlite(dataDir, tables, newDataDir)
      } catch (error) {
        for (const close of closers.reverse()) await close()
        throw error
      }
      closers.push(() => pglite.close())
    }
    db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }), plugins })
  }

  let closed = false
  let distributed: Promise<boolean> | undefined
  let askAgainAfter = Number.POSITIVE_INFINITY
  return {
    db,
    tables,
    backend,
    distributed() {
      if (backend === 'pglite') return Promise.resolve(false)
      if (distributed === undefined || Date.now() > askAgainAfter) {
        askAgainAfter = Number.POSITIVE_INFINITY
        distributed = isDistributed(db, tables.sessions).then(
          (answer) => {
            // `migrate --distributed` may run while this process is up: a "no" is asked again a minute later.
            if (!answer) askAgainAfter = Date.now() + 60_000
            return answer
          },
          (error: unknown) => {
            distributed = undefined // ask again next time, e.g. once the database is reachable
            throw error
          },
        )
      }
      return distributed
    },
    rowLevelSecurity: config?.rowLevelSecurity ?? false,
    target,
    async close() {
      if (closed) return
      closed = true
      for (const close of closers.reverse()) await close()
    },
  }
}

