import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { FactlineDb } from '../../src/db/create-db.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { HashEmbedder } from '../../src/embed/hash-embedder.js'
import { createFactStore, type FactStore } from '../../src/facts/fact-store.js'
import { openBackend, type Backend } from './databases.js'
import { startOpenAIServer, type OpenAIServer } from './openai-server.js'
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

/** A recorded OpenAI server whose `requests` are emptied before each test. */
export interface OpenAIServerFixture {
  readonly server: OpenAIServer
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

/** Starts the recorded OpenAI server for the suite (see openai-server.ts). */
export function useOpenAIServer(): OpenAIServerFixture {
  let server: OpenAIServer | undefined
  beforeAll(async () => {
    server = await startOpenAIServer()
  })
  afterAll(async () => {
    await server?.close()
  })
  beforeEach(() => {
    if (server) server.requests.length = 0
  })
  return {
    get server() {
      return opened(server, 'useOpenAIServer')
    },
  }
}

function opened<T>(value: T | undefined, fixture: string): T {
  if (value === undefined) throw new Error(`${fixture}() is read before its beforeAll ran: read it inside a test or hook`)
  return value
}
