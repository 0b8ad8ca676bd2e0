import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // one line at the end naming the integration tests that did not run for want of a service
    reporters: ['default', './test/helpers/services-summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
