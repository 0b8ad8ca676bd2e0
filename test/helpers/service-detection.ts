import { existsSync } from 'node:fs'
import pg from 'pg'

/**
 * A backing service some integration suites need; 'redis-cluster' is local redis-server binaries the
 * suite starts a cluster with; 'citus' a running Citus cluster at CITUS_URL.
 */
export type Service = 'postgres' | 'redis' | 'redis-cluster' | 'citus'

/** Where a service was found, or why it was not. */
export type Detection =
  | { found: true; url: string; source: string; stop?: () => Promise<unknown> }
  | { found: false; reason: string }

/** Tried when `DATABASE_URL` is unset: a local PostgreSQL trusting `postgres` (the Debian/CI default). */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
/** Tried when `REDIS_URL` is unset. */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379'

/** How to make each service available, for the summary line and for the failure under FACTLINE_REQUIRE_SERVICES. */
export const HOW_TO_ENABLE: Record<Service, string> = {
  postgres: 'set DATABASE_URL=postgres://USER@HOST:5432/DB (PostgreSQL with pgvector)',
  redis: 'set REDIS_URL=redis://HOST:6379',
  'redis-cluster': 'install redis-server 7 (the suite starts its own 3-node cluster on free ports from 7100)',
  citus: 'set CITUS_URL=postgres://USER@HOST:5440/postgres (a Citus coordinator with workers, citus and pgvector on every node; .ci/run starts one)',
}

const VARIABLE = { postgres: 'DATABASE_URL', redis: 'REDIS_URL', citus: 'CITUS_URL' } as const

/**
 * Finds a service: its env var when set (a set but unreachable URL is an error, not a skip), else the
 * default local port (unless FACTLINE_TEST_NO_LOCAL_SERVICES=1), else a testcontainers container when a
 * Docker engine answers. The env var is never silently replaced by a guess. Citus is looked for only
 * at CITUS_URL: a cluster is never guessed or started here (.ci/run starts one).
 */
export async function detectService(service: 'postgres' | 'redis' | 'citus', env: NodeJS.ProcessEnv = process.env): Promise<Detection> {
  const variable = VARIABLE[service]
  const configured = env[variable]
  if (configured) {
    const problem = await probe(service, configured)
    if (problem) throw new Error(`${variable} is set but ${redact(configured)} does not answer: ${problem}`)
    return { found: true, url: configured, source: variable }
  }
  const reasons = [`${variable} unset`]
  if (service === 'citus') return { found: false, reason: reasons[0]! }
  if (env.FACTLINE_TEST_NO_LOCAL_SERVICES !== '1') {
    const local = service === 'postgres' ? LOCAL_POSTGRES_URL : LOCAL_REDIS_URL
    const problem = await probe(service, local)
    if (!problem) return { found: true, url: local, source: `default port (${redact(local)})` }
    reasons.push(`nothing usable at ${new URL(local).host} (${problem})`)
  }
  if (!dockerConfigured(env)) {
    reasons.push('no Docker engine for testcontainers')
    return { found: false, reason: reasons.join(', ') }
  }
  try {
    return await startContainer(service)
  } catch (error) {
    reasons.push(`testcontainers failed: ${(error as Error).message.split('\n')[0]}`)
    return { found: false, reason: reasons.join(', ') }
  }
}

/** Connects once and returns why the service is unusable, or undefined when it answers. */
async function probe(service: Service, url: string): Promise<string | undefined> {
  try {
    if (service === 'postgres' || service === 'citus') {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
      try {
        await client.connect()
        await client.query('select 1')
        if (service === 'citus') {
          const { rows } = await client.query(`select exists (select 1 from pg_extension where extname = 'citus') as citus`)
          if (!rows[0]?.citus) return `the citus extension is not installed in database ${new URL(url).pathname.slice(1) || '(default)'}`
        }
      } finally {
        await client.end().catch(() => {})
      }
    } else {
      const { Redis } = await import('ioredis')
      const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null })
      redis.on('error', () => {})
      try {
        await redis.connect()
        await redis.ping()
      } finally {
        redis.disconnect()
      }
    }
    return undefined
  } catch (error) {
    return (error as Error).message || (error as { code?: string }).code || String(error)
  }
}

// Asking testcontainers to look for an engine takes seconds when there is none; a socket or
// DOCKER_HOST is the cheap signal that one may answer.
function dockerConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.DOCKER_HOST) || existsSync('/var/run/docker.sock') || existsSync(`${env.HOME ?? ''}/.docker/run/docker.sock`)
}

async function startContainer(service: Service): Promise<Detection> {
  if (service === 'postgres') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const container = await new PostgreSqlContainer('pgvector/pgvector:pg16').start()
    return { found: true, url: container.getConnectionUri(), source: 'testcontainers', stop: () => container.stop() }
  }
  const { RedisContainer } = await import('@testcontainers/redis')
  const container = await new RedisContainer('redis:7-alpine').start()
  return { found: true, url: container.getConnectionUrl(), source: 'testcontainers', stop: () => container.stop() }
}

export function redact(connectionString: string): string {
  return connectionString.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
}
