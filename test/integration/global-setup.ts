import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { createDb } from '../../src/db/create-db.js'
import { migrate } from '../../src/db/migrate.js'
import { TEST_EMBEDDING_DIMENSIONS } from '../helpers/test-env.js'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    redisUrl: string
  }
}

const HOW_TO =
  'Integration tests need PostgreSQL with pgvector and Redis. Set DATABASE_URL (e.g. ' +
  'postgres://postgres@127.0.0.1:5432/test, with `create extension vector` possible; ' +
  'scripts/install-pgvector.sh builds it on Debian) and REDIS_URL (e.g. redis://127.0.0.1:6379), ' +
  'or make a Docker engine reachable so testcontainers can start them.'

/**
 * Gives every test run its own freshly migrated database, so runs (and CI beside a developer)
 * never share state: tests inside a run isolate themselves with random ids instead of truncating.
 */
export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<unknown>> = []
  const adminUrl = process.env.DATABASE_URL ?? (await startPostgres(stops))
  const redisUrl = process.env.REDIS_URL ?? (await startRedis(stops))

  const dbName = `factline_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(`${HOW_TO}\nCould not connect to ${redact(adminUrl)}: ${(error as Error).message}`)
  }
  await admin.query(`create database ${dbName}`)
  const url = new URL(adminUrl)
  url.pathname = `/${dbName}`
  const databaseUrl = url.toString()

  const handle = await createDb({ url: databaseUrl })
  try {
    await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
  } catch (error) {
    throw new Error(`${HOW_TO}\nMigrating the test database failed: ${(error as Error).message}`)
  } finally {
    await handle.close()
  }

  project.provide('databaseUrl', databaseUrl)
  project.provide('redisUrl', redisUrl)

  return async () => {
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {})
    await admin.end()
    for (const stop of stops.reverse()) await stop()
  }
}

async function startPostgres(stops: Array<() => Promise<unknown>>): Promise<string> {
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const container = await new PostgreSqlContainer('pgvector/pgvector:pg16').start()
    stops.push(() => container.stop())
    return container.getConnectionUri()
  } catch (error) {
    throw new Error(`${HOW_TO}\nStarting a PostgreSQL container failed: ${(error as Error).message}`)
  }
}

async function startRedis(stops: Array<() => Promise<unknown>>): Promise<string> {
  try {
    const { RedisContainer } = await import('@testcontainers/redis')
    const container = await new RedisContainer('redis:7-alpine').start()
    stops.push(() => container.stop())
    return container.getConnectionUrl()
  } catch (error) {
    throw new Error(`${HOW_TO}\nStarting a Redis container failed: ${(error as Error).message}`)
  }
}

function redact(connectionString: string): string {
  return connectionString.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}
