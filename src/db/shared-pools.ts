import pg from 'pg'
import { DEFAULT_SERVER_TIMEOUTS, poolTimeoutSettings, type ServerTimeouts } from './server-timeouts.js'

/** Connections one URL's pool may hold at once, across every session and memory using it. */
export const DEFAULT_POOL_SIZE = 10

interface SharedPool {
  pool: pg.Pool
  users: number
}

// One pool per connection string (and timeouts) in this process: a web app that opens a session per
// request must not open a pool per request (each holds up to `max` connections; PostgreSQL allows ~100).
const pools = new Map<string, SharedPool>()

/** A lease on a URL's shared pool; `release()` ends the pool when its last user lets go. */
export interface PoolLease {
  readonly pool: pg.Pool
  release(): Promise<void>
}

/**
 * Leases the process-wide pool for `url`, creating it on first use with `size` connections at
 * most (the first lease decides; later ones share it). Idle clients never keep the process alive
 * (`allowExitOnIdle`), so a short script may skip `close()`. Leases asking for other server
 * timeouts get a pool of their own: a connection's timeouts are fixed when it opens.
 */
export function leasePool(
  url: string,
  size: number = DEFAULT_POOL_SIZE,
  setup: (pool: pg.Pool) => void = () => {},
  timeouts: ServerTimeouts = DEFAULT_SERVER_TIMEOUTS,
): PoolLease {
  const key = `${url}\u0000${timeouts.statementMs}/${timeouts.lockMs}/${timeouts.idleInTransactionMs}`
  let shared = pools.get(key)
  if (!shared) {
    const pool = new pg.Pool({ connectionString: url, max: size, allowExitOnIdle: true, ...poolTimeoutSettings(timeouts) })
    setup(pool)
    shared = { pool, users: 0 }
    pools.set(key, shared)
  }
  shared.users++
  const lease = shared
  let released = false
  return {
    pool: lease.pool,
    async release() {
      if (released) return
      released = true
      lease.users--
      if (lease.users > 0) return
      if (pools.get(key) === lease) pools.delete(key)
      await lease.pool.end()
    },
  }
}

/** How many URLs have a live shared pool (for tests and diagnostics). @internal */
export function sharedPoolCount(): number {
  return pools.size
}
