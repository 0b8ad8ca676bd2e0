import pg from 'pg'

/** One statement as the pg driver sent it: its text and bound parameters. */
export interface CapturedStatement {
  text: string
  values: readonly unknown[]
}

/** A pg Pool that records what its clients run while recording is on. */
export interface CapturingPool {
  readonly pool: pg.Pool
  readonly statements: CapturedStatement[]
  /** Records from now on (clearing what was recorded). */
  record(): void
  /** Stops recording and returns what was recorded. */
  stop(): CapturedStatement[]
}

/**
 * A pool for `createMemory({ database: { pool } })` whose every client query is recorded between
 * `record()` and `stop()`, so a test sees exactly the SQL factline ran, parameters included. It
 * wraps each client's `query` (what kysely's driver calls) rather than mocking anything: the
 * statements still run on the real database.
 */
export function capturingPool(url: string, options: { max?: number } = {}): CapturingPool {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4 })
  const statements: CapturedStatement[] = []
  let recording = false
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [first, second] = args
      if (recording) {
        if (typeof first === 'string') statements.push({ text: first, values: Array.isArray(second) ? second : [] })
        else if (first && typeof first === 'object' && 'text' in first) {
          const config = first as { text: string; values?: unknown[] }
          statements.push({ text: config.text, values: config.values ?? (Array.isArray(second) ? second : []) })
        }
      }
      return query(...args)
    }
  })
  return {
    pool,
    statements,
    record() {
      statements.length = 0
      recording = true
    },
    stop() {
      recording = false
      return [...statements]
    },
  }
}
