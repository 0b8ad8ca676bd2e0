import { HOW_TO_ENABLE, type Service } from './service-detection.js'

/** A service the run could not find, and why. */
export interface MissingService {
  service: Service
  reason: string
}

/** Set by the integration globalSetup (JSON MissingService[]) and read by the summary reporter. */
export const MISSING_SERVICES_ENV = 'FACTLINE_TEST_MISSING_SERVICES'
/** A tag unique to the run; test queue names carry it so teardown removes exactly this run's queues. */
export const RUN_TAG_ENV = 'FACTLINE_TEST_RUN_TAG'

const LABEL: Record<Service, string> = { postgres: 'PostgreSQL', redis: 'Redis', 'redis-cluster': 'a local Redis Cluster', citus: 'Citus' }

/** "PostgreSQL (why) and Redis (why) not found; to run their tests set …, or start Docker". */
export function describeMissing(missing: readonly MissingService[]): string {
  const what = missing.map((m) => `${LABEL[m.service]} (${m.reason})`).join(' and ')
  const how = missing.map((m) => HOW_TO_ENABLE[m.service]).join(' and ')
  // testcontainers stands in for PostgreSQL and Redis, never for a Redis Cluster or a Citus cluster.
  const docker = missing.some((m) => m.service === 'postgres' || m.service === 'redis') ? ', or start a Docker engine for testcontainers' : ''
  return `${what} not found; to run their tests ${how}${docker}`
}

/** The missing services recorded by globalSetup in this process (empty when the integration project did not run). */
export function missingServicesOfRun(env: NodeJS.ProcessEnv = process.env): MissingService[] {
  const raw = env[MISSING_SERVICES_ENV]
  return raw ? (JSON.parse(raw) as MissingService[]) : []
}
