import { FAULTS, openFaultLab, type FaultRow } from '../test/integration/faults/lab/fault-lab.js'
import { missingTools } from '../test/integration/faults/lab/servers.js'
import type { BenchContext } from './lib/context.js'

export interface FaultBenchOptions {
  sessions: number
  turns: number
  /** Rounds of every fault; the table shows sums of counts and the worst times. */
  rounds: number
  redisDownMs: number
  postgresDownMs: number
}

const seconds = (ms: number | null) => (ms === null ? 'not within 2 min' : `${(ms / 1000).toFixed(1)} s`)

/**
 * The issue's chaos table, rerun: a private PostgreSQL and Redis (the bench's servers are not
 * touched), two worker processes, an app process with `sessions` × `turns` turns, one fault per
 * run mid-load, ground truth in SQL afterwards. The "none" row is the baseline of the same run.
 */
export async function benchFaults(ctx: BenchContext, options: FaultBenchOptions): Promise<string> {
  const missing = await missingTools()
  if (missing) return `Skipped: the fault lab ${missing}.`
  const lab = await openFaultLab({ ...options, log: ctx.log })
  const rows = new Map<string, FaultRow[]>()
  let closeCrashes = 0
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const fault of FAULTS) {
        const row = await lab.run(fault)
        rows.set(fault, [...(rows.get(fault) ?? []), row])
      }
    }
  } finally {
    closeCrashes = (await lab.close()).workerCrashes
  }
  const sum = (rs: FaultRow[], f: (r: FaultRow) => number) => rs.reduce((n, r) => n + f(r), 0)
  const worst = (rs: FaultRow[], f: (r: FaultRow) => number | null) =>
    rs.some((r) => f(r) === null) ? null : Math.max(...rs.map((r) => f(r) ?? 0))
  const lines = [
    '| fault | lost / duplicated items | duplicate facts | broken provenance / lagging sessions | process crashes (app, workers) | catch-up after the fault | longest stall of a session | errors the app saw (typed / raw) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const [fault, rs] of rows) {
    const typed = sum(rs, (r) => Object.entries(r.appErrors).reduce((n, [code, c]) => n + (code === 'raw' ? 0 : c), 0))
    lines.push(
      `| ${fault} | ${sum(rs, (r) => r.lost)} / ${sum(rs, (r) => r.duplicated)} | ${sum(rs, (r) => r.duplicateFacts)} | ` +
        `${sum(rs, (r) => r.brokenProvenance)} / ${sum(rs, (r) => r.lagging)} | ` +
        `${sum(rs, (r) => r.appCrashes)}, ${sum(rs, (r) => r.workerCrashes)} | ${seconds(worst(rs, (r) => r.catchUpMs))} | ` +
        `${seconds(worst(rs, (r) => r.longestStallMs))} | ${typed} / ${sum(rs, (r) => r.appErrors.raw ?? 0)} |`,
    )
  }
  const raw = [...new Set([...rows.values()].flat().flatMap((r) => r.rawErrors.map((e) => e.replace(/:\d+$/, ':<port>'))))].sort()
  return [
    `${options.sessions} sessions × ${options.turns} turns per run (one turn every 400 ms per session, recall after each), ` +
      `2 worker processes (\`workers/extraction-worker.ts\`, default settings), an app process; Redis down ` +
      `${options.redisDownMs / 1000} s (SIGKILL, restarted empty), PostgreSQL down ${options.postgresDownMs / 1000} s ` +
      `(\`pg_ctl stop -m fast\`); ${options.rounds} round(s), worst time shown. Catch-up: from the fault's end until every ` +
      'message stored by then is extracted. Stall: longest time a lagging session\'s watermark did not move (polled every 100 ms).',
    lines.join('\n'),
    `Workers exiting non-zero on the final SIGTERM: ${closeCrashes}. ` +
      (raw.length > 0 ? `Raw (untyped) errors the app saw, by operation: ${raw.map((e) => `\`${e}\``).join(', ')}.` : 'The app saw no raw errors.'),
  ].join('\n\n')
}
