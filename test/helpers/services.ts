import { describe, inject } from 'vitest'
import type { Service } from './service-detection.js'

/** True when the run lacks any of `services` (see test/integration/global-setup.ts). */
export function lacks(...services: Service[]): boolean {
  const missing = inject('missingServices')
  return services.some((service) => missing.includes(service))
}

/** `describe` for a suite needing `services`: skipped, and counted in the run's summary line, when one is missing. */
export function describeWith(...services: Service[]): ReturnType<typeof describe.skipIf> {
  return describe.skipIf(lacks(...services))
}

/** The services a setup's name mentions: 'postgres', 'redis' and 'citus'; 'pglite' and 'embedded' need none. */
export function servicesNamedIn(setup: string): Service[] {
  return (['postgres', 'redis', 'citus'] as const).filter((service) => setup.includes(service))
}

/**
 * `describe.each(setups)` where each setup named after a missing service ('postgres', 'citus',
 * 'postgres+redis+worker') is skipped and the others ('pglite', 'embedded') still run.
 */
export function describeEachSetup<T extends string>(setups: readonly T[]) {
  return (name: string, body: (setup: T) => void): void => {
    for (const setup of setups) describe.skipIf(lacks(...servicesNamedIn(setup)))(name.replace('%s', setup), () => body(setup))
  }
}
