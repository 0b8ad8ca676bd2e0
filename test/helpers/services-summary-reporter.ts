import type { Reporter, TestModule } from 'vitest/node'
import { describeMissing, missingServicesOfRun } from './missing-services.js'

/**
 * Prints one line at the end of a run saying which integration tests did not run for want of
 * PostgreSQL, Redis or Citus, and how to enable them; silent when everything ran.
 */
export default class ServicesSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const missing = missingServicesOfRun()
    if (missing.length === 0) return
    let skipped = 0
    for (const module of testModules) {
      if (module.project.name !== 'integration') continue
      for (const test of module.children.allTests()) if (test.result().state === 'skipped') skipped++
    }
    if (skipped === 0) return
    // Citus is optional: FACTLINE_REQUIRE_SERVICES=1 requires it only when CITUS_URL is set.
    const strict = missing.some((m) => m.service !== 'citus') ? 'FACTLINE_REQUIRE_SERVICES=1 makes this a failure' : 'FACTLINE_REQUIRE_SERVICES=1 with CITUS_URL set makes this a failure'
    console.log(`\nNot run: ${skipped} integration tests. ${describeMissing(missing)}. ${strict}.\n`)
  }
}
