import { inject } from 'vitest'
import { createDb, type FactlineDb } from '../../src/db/create-db.js'
import { migrate } from '../../src/db/migrate.js'
import { TEST_EMBEDDING_DIMENSIONS } from './test-env.js'

export type Backend = 'postgres' | 'pglite' | 'citus'

/** The run's migrated PostgreSQL database (see global-setup.ts). */
export function openPostgres(): Promise<FactlineDb> {
  return createDb({ url: inject('databaseUrl') })
}

/** The run's migrated and distributed database on the Citus cluster (see global-setup.ts). */
export function openCitus(): Promise<FactlineDb> {
  return createDb({ url: inject('citusUrl') })
}

/** The URL of a server backend's run database: what a suite hands createMemory or a second client. */
export function urlOf(backend: Exclude<Backend, 'pglite'>): string {
  return backend === 'citus' ? inject('citusUrl') : inject('databaseUrl')
}

/** A fresh in-memory PGlite with pgvector, migrated like the PostgreSQL one. */
export async function openPGlite(): Promise<FactlineDb> {
  const handle = await createDb({ dataDir: 'memory://' })
  await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
  return handle
}

export function openBackend(backend: Backend): Promise<FactlineDb> {
  return backend === 'pglite' ? openPGlite() : createDb({ url: urlOf(backend) })
}

/** Both backends, for suites that must behave the same on each: `describeEachSetup(BACKENDS)` (test/helpers/services.ts). */
export const BACKENDS: readonly Backend[] = ['postgres', 'pglite']

/** The two backends plus the Citus cluster: for the suites that must also hold on a distributed database. */
export const BACKENDS_AND_CITUS: readonly Backend[] = [...BACKENDS, 'citus']
