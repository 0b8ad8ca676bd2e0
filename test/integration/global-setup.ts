import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { createDb } from '../../src/db/create-db.js'
import { migrate } from '../../src/db/migrate.js'
import { createCitusRunDatabase } from '../helpers/citus-cluster.js'
import { detectService, redact, type Detection, type Service } from '../helpers/service-detection.js'
import { MISSING_SERVICES_ENV, RUN_TAG_ENV, describeMissing, type MissingService } from '../helpers/missing-services.js'
import { redisClusterUnavailable } from '../helpers/redis-cluster.js'
import { removeRunQueues } from '../helpers/run-queues.js'
import { TEST_EMBEDDING_DIMENSIONS } from '../helpers/test-env.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's migrated database; '' when PostgreSQL is missing (its suites are skipped). */
    databaseUrl: string
    /** '' when Redis is missing (its suites are skipped). */
    redisUrl: string
    /** The run's migrated and distributed database on the Citus cluster; '' when Citus is missing. */
    citusUrl: string
    missingServices: Service[]
  }
}

/**
 * Finds PostgreSQL, Redis and Citus (see detectService) and the redis-server binaries for a local
 * Redis Cluster, gives the run its own freshly migrated database (and one on the Citus cluster,
 * distributed), and records what is missing: suites needing it skip, and the summary reporter
 * names them. FACTLINE_REQUIRE_SERVICES=1 (CI) turns a missing service into a failure; Citus
 * counts only when CITUS_URL is set (CI sets it when it could build the cluster).
 */
export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<unknown>> = []
  const missing: MissingService[] = []
  const runTag = `r${randomUUID().slice(0, 7)}`
  process.env[RUN_TAG_ENV] = runTag

  const postgres = await detectService('postgres')
  let database: { url: string; drop: () => Promise<void> } | undefined
  if (postgres.found) {
    if (postgres.stop) stops.push(postgres.stop)
    try {
      database = await createRunDatabase(postgres.url)
    } catch (error) {
      if (postgres.source === 'DATABASE_URL') throw error
      missing.push({ service: 'postgres', reason: `${postgres.source}: ${(error as Error).message}` })
    }
  } else {
    missing.push({ service: 'postgres', reason: postgres.reason })
  }

  const redis: Detection = await detectService('redis')
  if (redis.found && redis.stop) stops.push(redis.stop)
  if (!redis.found) missing.push({ service: 'redis', reason: redis.reason })

  // The Redis Cluster suites start their own cluster from the local binaries; only those are checked here.
  const noCluster = redisClusterUnavailable()
  if (noCluster) missing.push({ service: 'redis-cluster', reason: noCluster })

  const citus = await detectService('citus')
  let citusDatabase: { url: string; drop: () => Promise<void> } | undefined
  if (citus.found) {
    try {
      citusDatabase = await createCitusRunDatabase(citus.url)
    } catch (error) {
      missing.push({ service: 'citus', reason: `${citus.source}: ${(error as Error).message}` })
    }
  } else {
    missing.push({ service: 'citus', reason: citus.reason })
  }

  const required = missing.filter((m) => m.service !== 'citus' || citus.found)
  if (required.length > 0 && process.env.FACTLINE_REQUIRE_SERVICES === '1') {
    await citusDatabase?.drop()
    await database?.drop()
    for (const stop of stops.reverse()) await stop()
    throw new Error(`FACTLINE_REQUIRE_SERVICES=1 but ${describeMissing(required)}`)
  }

  process.env[MISSING_SERVICES_ENV] = JSON.stringify(missing)
  project.provide('databaseUrl', database?.url ?? '')
  project.provide('redisUrl', redis.found ? redis.url : '')
  project.provide('citusUrl', citusDatabase?.url ?? '')
  project.provide('missingServices', missing.map((m) => m.service))

  return async () => {
    if (redis.found) await removeRunQueues(redis.url, runTag)
    await citusDatabase?.drop()
    await database?.drop()
    for (const stop of stops.reverse()) await stop()
  }
}

/** Creates and migrates `factline_test_<random>` beside `adminUrl`'s database; runs never share state. */
async function createRunDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const dbName = `factline_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  const drop = async () => {
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {})
    await admin.end()
  }
  try {
    await admin.query(`create database ${dbName}`)
    const url = new URL(adminUrl)
    url.pathname = `/${dbName}`
    const handle = await createDb({ url: url.toString() })
    try {
      await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
    } finally {
      await handle.close()
    }
    return { url: url.toString(), drop }
  } catch (error) {
    await drop()
    throw new Error(`preparing a test database on ${redact(adminUrl)} failed (pgvector installed? scripts/install-pgvector.sh): ${(error as Error).message}`, {
      cause: error,
    })
  }
}
