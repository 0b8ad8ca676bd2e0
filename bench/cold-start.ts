// Embedded cold start: `createMemory()` on a new and on an existing data folder, each in a fresh
// process (module loading included), against baselines measured in the same run:
// - no template: PGlite's initdb, then factline's migrations;
// - the 0.1 path: the build's empty template, then the migrations, with the Agents SDK, `openai` and
//   the NLP model loaded at import (as factline's entry did before they were loaded on first use);
// - with `--baseline <dir>`: the same scripts run against another built factline checkout (e.g. a
//   `git worktree` of main after `npm run build` there), for both folders.
// "app imports the SDK" rows import @openai/agents first, as an app that builds agents does: that
// part of the module loading is then the app's, whatever factline does.
// Run: npm run build && node --import tsx bench/cold-start.ts [runs] [--baseline <dir>]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const baselineAt = args.includes('--baseline') ? resolve(args[args.indexOf('--baseline') + 1]!) : undefined
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 3)

// Each script prints the milliseconds from process start to a ready memory (or database), and the
// CPU milliseconds spent by then (all threads): on a shared machine the wall time swings with the
// load, the CPU time much less.
const READY = `
const memory = await createMemory({ database: { dataDir: process.argv[1] }, env: false })
console.log(Math.round(performance.now()), Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000))
await memory.close()`
const MEMORY = `import { createMemory } from 'factline'${READY}`
const MEMORY_IN_SDK_APP = `import '@openai/agents'\nimport { createMemory } from 'factline'${READY}`
const NO_TEMPLATE = `
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { createDb, migrate } from 'factline'
const pglite = await PGlite.create(process.argv[1], { extensions: { vector } })
const handle = await createDb({ pglite })
await migrate(handle, { embeddingDimensions: 384 })
console.log(Math.round(performance.now()), Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000))
await handle.close(); await pglite.close()`
const PATH_0_1 = `
import '@openai/agents'
import 'openai'
import 'wink-nlp'
import 'wink-eng-lite-web-model'
import { readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { createMemory } from 'factline'
const { version } = JSON.parse(await readFile('node_modules/@electric-sql/pglite/package.json', 'utf8'))
const template = new Blob([await readFile('dist/pglite-template-' + version + '.tar.gz')])
const pglite = await PGlite.create(process.argv[1], { extensions: { vector }, loadDataDir: template })
const memory = await createMemory({ database: { pglite }, env: false })
console.log(Math.round(performance.now()), Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000))
await memory.close(); await pglite.close()`

type Timing = { wall: number; cpu: number }
function timeScript(script: string, dataDir: string, cwd = root): Timing {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, dataDir], { cwd, encoding: 'utf8' })
  const [wall, cpu] = out.trim().split('\n').at(-1)!.split(' ').map(Number)
  return { wall: wall!, cpu: cpu! }
}

type Case = { name: string; run: (dir: string) => Timing }
const cases: Case[] = [
  { name: 'new folder, no template: initdb + migrations', run: (dir) => timeScript(NO_TEMPLATE, join(dir, 'a')) },
  { name: 'new folder, 0.1 path: empty template + migrations, SDK at import', run: (dir) => timeScript(PATH_0_1, join(dir, 'b')) },
  ...(baselineAt
    ? [
        { name: `new folder, --baseline build`, run: (dir: string) => timeScript(MEMORY, join(dir, 'base'), baselineAt) },
        { name: `existing folder, --baseline build`, run: (dir: string) => timeScript(MEMORY, join(dir, 'base'), baselineAt) },
      ]
    : []),
  { name: 'new folder', run: (dir) => timeScript(MEMORY, join(dir, 'c')) },
  { name: 'existing folder', run: (dir) => timeScript(MEMORY, join(dir, 'c')) },
  { name: 'new folder, app imports the SDK', run: (dir) => timeScript(MEMORY_IN_SDK_APP, join(dir, 'd')) },
  { name: 'existing folder, app imports the SDK', run: (dir) => timeScript(MEMORY_IN_SDK_APP, join(dir, 'd')) },
]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const results = new Map<string, Timing[]>(cases.map((c) => [c.name, []]))
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'factline-cold-'))
  try {
    // Interleaved, so that a busy moment of the machine falls on every case alike.
    for (const c of cases) results.get(c.name)!.push(c.run(dir))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
console.log(`embedded cold start, ${runs} runs: median ms from process start to a ready memory, wall and CPU (wall of every run)`)
const width = Math.max(...cases.map((c) => c.name.length))
console.log(`  ${'case'.padEnd(width)}   wall    cpu`)
for (const [name, xs] of results) {
  const wall = median(xs.map((x) => x.wall))
  const cpu = median(xs.map((x) => x.cpu))
  console.log(`  ${name.padEnd(width)} ${String(wall).padStart(6)} ${String(cpu).padStart(6)}   (${xs.map((x) => x.wall).join(', ')})`)
}
