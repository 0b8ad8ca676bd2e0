// Embedded cold start: `createMemory()` on a new data folder, in a fresh process each time (module
// loading included), with the build's PGlite template (what users get) against the baseline of the
// same work without it (initdb, then factline's migrations); and on an existing folder.
// Run: npm run build && node --import tsx bench/cold-start.ts [runs]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.argv[2] ?? 3)

// Each script prints the milliseconds from process start to a ready memory (or database).
const WITH_TEMPLATE = `
import { createMemory } from 'factline'
const memory = await createMemory({ database: { dataDir: process.argv[1] }, env: false })
console.log(Math.round(performance.now()))
await memory.close()`
const BASELINE = `
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { createDb, migrate } from 'factline'
const pglite = await PGlite.create(process.argv[1], { extensions: { vector } })
const handle = await createDb({ pglite })
await migrate(handle, { embeddingDimensions: 384 })
console.log(Math.round(performance.now()))
await handle.close(); await pglite.close()`

function timeScript(script: string, dataDir: string): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, dataDir], { cwd: root, encoding: 'utf8' })
  return Number(out.trim().split('\n').at(-1))
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const results: Record<string, number[]> = { 'new folder, initdb (baseline)': [], 'new folder, template': [], 'existing folder': [] }
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'factline-cold-'))
  try {
    results['new folder, initdb (baseline)']!.push(timeScript(BASELINE, join(dir, 'baseline')))
    results['new folder, template']!.push(timeScript(WITH_TEMPLATE, join(dir, 'template')))
    results['existing folder']!.push(timeScript(WITH_TEMPLATE, join(dir, 'template')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
console.log(`embedded cold start, ${runs} runs, median ms from process start (all runs):`)
for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(32)} ${String(median(xs)).padStart(6)}   (${xs.join(', ')})`)
