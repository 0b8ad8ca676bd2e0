/** Latency samples in milliseconds, summarised the same way in every section. */
export interface Summary {
  count: number
  /** Operations per second over the wall-clock time of the whole batch (all workers together). */
  opsPerSec: number
  p50: number
  p95: number
  p99: number
}

/** Nearest-rank percentile of unsorted samples (`p` in 0–100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
}

export function summarize(samples: readonly number[], wallMs: number): Summary {
  return {
    count: samples.length,
    opsPerSec: wallMs > 0 ? (samples.length * 1000) / wallMs : Number.NaN,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
  }
}

/**
 * Runs `workers` loops at once, each doing `opsPerWorker` calls of its own operation, and times
 * every call. `prepare` runs before the clock starts, so per-session setup is not measured.
 */
export async function timeConcurrent(
  workers: number,
  opsPerWorker: number,
  prepare: (worker: number) => Promise<() => Promise<unknown>>,
): Promise<Summary> {
  const ops = await Promise.all(Array.from({ length: workers }, (_, w) => prepare(w)))
  const samples: number[] = []
  const started = performance.now()
  await Promise.all(
    ops.map(async (op) => {
      for (let i = 0; i < opsPerWorker; i++) {
        const t = performance.now()
        await op()
        samples.push(performance.now() - t)
      }
    }),
  )
  return summarize(samples, performance.now() - started)
}

/** Times `op` `count` times one after another. */
export async function timeSerial(count: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await op(i)
    samples.push(performance.now() - t)
  }
  return samples
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–'
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)
}

export function rate(value: number): string {
  if (!Number.isFinite(value)) return '–'
  return value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1)
}

export function ratio(value: number): string {
  if (!Number.isFinite(value)) return '–'
  return `${value < 10 ? value.toFixed(2) : value.toFixed(0)}×`
}

export function bytes(value: number): string {
  if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(2)} GiB`
  if (value >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(1)} MiB`
  return `${(value / 1024).toFixed(0)} KiB`
}

/** A markdown table. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
