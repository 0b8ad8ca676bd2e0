import { inject } from 'vitest'
import { createDb, type FactlineDb } from '../../src/db/create-db.js'
import { migrate } from '../../src/db/migrate.js'
import { TEST_EMBEDDING_DIMENSIONS } from './test-env.js'

export type Backend = 'postgres' | 'pglite'

/** The run's migrated PostgreSQL database (see global-setup.ts). */
export function openPostgres(): Promise<FactlineDb> {
  return createDb({ url: inject('databaseUrl') })
}

/** A fresh in-memory PGlite with pgvector, migrated like the PostgreSQL one. */
export async function openPGlite(): Promise<FactlineDb> {
  const handle = await createDb({ dataDir: 'memory://' })
  await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
  return handle
}

export function openBackend(backend: Backend): Promise<FactlineDb> {
  return backend === 'postgres' ? openPostgres() : openPGlite()
}

/** Both backends, for suites that must behave the same on each: `describeEachSetup(BACKENDS)` (test/helpers/services.ts). */
export const BACKENDS: readonly Backend[] = ['postgres', 'pglite']
