import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAULTS, openFaultLab, type FaultLab } from './lab/fault-lab.js'
import { missingTools } from './lab/servers.js'

// The chaos table, rerun on servers of our own (the shared ones are never touched):
// 10 sessions × 10 turns, two worker processes and an app process, one fault per run mid-load.
// Outages are shortened to keep the suite near two minutes: PostgreSQL stays down 10 s (the issue:
// 20 s) and Redis 5 s (10 s); the bench's `faults` section runs the durations and reports
// the figures (catch-up, stalls). Here only the ground truth is asserted.
const missing = await missingTools()
const required = process.env.FACTLINE_REQUIRE_SERVICES === '1'
if (missing && !required) {
  console.warn(`fault suite skipped: it ${missing} to run private PostgreSQL and Redis servers (FACTLINE_REQUIRE_SERVICES=1 makes this a failure)`)
}

describe.skipIf(missing !== undefined && !required)('faults under load (private PostgreSQL and Redis)', { timeout: 240_000 }, () => {
  let lab: FaultLab | undefined

  beforeAll(async () => {
    if (missing) throw new Error(`FACTLINE_REQUIRE_SERVICES=1 but the fault suite ${missing}`)
    lab = await openFaultLab({ postgresDownMs: 10_000, redisDownMs: 5_000 })
  }, 120_000)

  afterAll(async () => {
    const closed = await lab?.close()
    expect(closed?.workerCrashes ?? 0).toBe(0)
  }, 120_000)

  it.each(FAULTS)('%s: nothing lost or duplicated, provenance intact, every session caught up, no process crashed', async (fault) => {
    const row = await lab!.run(fault)
    expect(row, `${fault}: ${row.note}`).toMatchObject({
      lost: 0,
      duplicated: 0,
      duplicateFacts: 0,
      brokenProvenance: 0,
      lagging: 0,
      unextracted: 0,
      appCrashes: 0,
      workerCrashes: 0,
    })
    expect(row.catchUpMs, 'extraction caught up after the fault').not.toBeNull()
    // How it recovered: the dead worker's job was taken over; the workers swept when Redis came back.
    if (fault === 'worker SIGKILL mid-job' && row.note.includes('holding')) expect(row.stalledJobs).toBeGreaterThanOrEqual(1)
    if (fault === 'Redis killed') expect(row.reconnectSweeps).toBeGreaterThanOrEqual(1)
  })
})
