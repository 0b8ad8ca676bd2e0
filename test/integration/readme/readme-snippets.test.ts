import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startModelServer } from '../../helpers/model-server.js'
import type { OpenAIServer } from '../../helpers/openai-server.js'
import { lacks } from '../../helpers/services.js'
import { parseSnippets, snippetProgram, type Snippet } from '../../helpers/readme-snippets.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const snippets = parseSnippets(readFileSync(join(root, 'README.md'), 'utf8'))

/**
 * Every ```ts block of README.md runs as a user would run it: in an empty folder, importing
 * 'factline' from the build (`npm test` builds first), embedded. A snippet marked `model` talks to a
 * local OpenAI-compatible server; the process must exit by itself, so a snippet that leaves memory
 * open fails on the timeout.
 */
describe('README snippets', () => {
  let server: OpenAIServer
  let dir: string
  beforeAll(async () => {
    server = await startModelServer()
    dir = mkdtempSync(join(tmpdir(), 'factline-readme-'))
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('finds every ts block, and each one runs or says why not', () => {
    expect(snippets.length).toBe(readFileSync(join(root, 'README.md'), 'utf8').match(/^```ts$/gm)?.length)
    // Only what no test machine can host is left out, each with its reason in the marker.
    expect(snippets.filter((s) => s.notRun !== undefined).map((s) => s.notRun)).toEqual([
      expect.stringContaining('docker compose'),
      expect.stringContaining('redis-cluster.test.ts'),
      expect.stringContaining('FACTLINE_RLS'),
    ])
  })

  const runnable = snippets.filter((s) => s.notRun === undefined).map((s) => [`line ${s.line}`, s] as const)
  const missingService = (snippet: Snippet) => snippet.needs.includes('postgres') && lacks('postgres')
  it.each(runnable.filter(([, s]) => !missingService(s)))('runs the snippet at README %s', async (_, snippet) => {
    const out = await runSnippet(snippet, dir, server)
    expect(out.code).toBe(0)
  })
  // Skipped, and counted in the run's summary line, when PostgreSQL is missing.
  it.skip.each(runnable.filter(([, s]) => missingService(s)))('runs the snippet at README %s', () => {})
})

/** Writes the snippet's program into its own folder (with node_modules links) and runs it with tsx. */
async function runSnippet(snippet: Snippet, parent: string, server: OpenAIServer) {
  const dir = join(parent, `line-${snippet.line}`)
  mkdirSync(join(dir, 'node_modules', '@openai'), { recursive: true })
  symlinkSync(root, join(dir, 'node_modules', 'factline'), 'dir')
  for (const dep of ['pg']) symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir')
  symlinkSync(join(root, 'node_modules', '@openai', 'agents'), join(dir, 'node_modules', '@openai', 'agents'), 'dir')
  writeFileSync(join(dir, 'snippet.ts'), snippetProgram(snippet))
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir }
  if (snippet.model) Object.assign(env, { OPENAI_API_KEY: 'test', OPENAI_BASE_URL: server.baseURL })
  if (snippet.needs.includes('postgres')) env.DATABASE_URL = inject('databaseUrl')
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', join(root, 'node_modules/tsx/dist/loader.mjs'), 'snippet.ts'], {
      cwd: dir,
      env,
      timeout: 120_000,
    })
    return { code: 0, stdout }
  } catch (error) {
    const e = error as { code?: number; stderr?: string; killed?: boolean }
    throw new Error(`README snippet at line ${snippet.line} failed${e.killed ? ' (did not exit: memory left open?)' : ''}:\n${e.stderr ?? String(error)}\n--- program ---\n${snippetProgram(snippet)}`)
  }
}
