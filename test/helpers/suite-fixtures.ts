import { afterAll, beforeAll } from 'vitest'
import type { FactlineDb } from '../../src/db/create-db.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { HashEmbedder } from '../../src/embed/hash-embedder.js'
import { createFactStore, type FactStore } from '../../src/facts/fact-store.js'
import { openBackend, type Backend } from './databases.js'
import { TEST_EMBEDDING_DIMENSIONS } from './test-env.js'

// Each `use*` registers beforeAll/afterAll in the enclosing describe (or file) and returns a live
// view whose fields can be read in tests and in hooks registered after it (vitest runs beforeAll
// hooks in order).

/** The embedder fact-store suites share: offline, and as wide as the test database's column. */
export const testEmbedder = new HashEmbedder({ dimensions: TEST_EMBEDDING_DIMENSIONS })

/** A database handle opened once for the suite. */
export interface DatabaseFixture {
  readonly handle: FactlineDb
}

/** A database handle and a fact store on it. */
export interface FactStoreFixture extends DatabaseFixture {
  readonly store: FactStore
  readonly embedder: Embedder
}

/** Opens `backend` (the run's PostgreSQL database, or a fresh migrated PGlite) for the suite. */
export function useDatabase(backend: Backend = 'postgres'): DatabaseFixture {
  let handle: FactlineDb | undefined
  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle?.close()
  })
  return {
    get handle() {
      return opened(handle, 'useDatabase')
    },
  }
}

/** Opens `backend` and builds a fact store on it with `embedder` (the shared hashing one by default). */
export function useFactStore(backend: Backend = 'postgres', embedder: Embedder = testEmbedder): FactStoreFixture {
  let handle: FactlineDb | undefined
  let store: FactStore | undefined
  beforeAll(async () => {
    handle = await openBackend(backend)
    store = await createFactStore({ db: handle, embedder })
  })
  afterAll(async () => {
    await handle?.close()
  })
  return {
    get handle() {
      return opened(handle, 'useFactStore')
    },
    get store() {
      return opened(store, 'useFactStore')
    },
    embedder,
  }
}

/** A fixture's value, or a clear error when a test file reads it at collection time. */
function opened<T>(value: T | undefined, fixture: string): T {
  if (value === undefined) throw new Error(`${fixture}() is read before its beforeAll ran: read it inside a test or hook`)
  return value
}
