import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url))
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }

// Records every module the process resolves and prints the list on stderr at exit.
const RECORD_MODULES = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module'
const seen = []
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r } })
process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify(seen)))
`)}`

function factline(args: string[], options: { recordModules?: boolean } = {}) {
  const nodeArgs = options.recordModules ? ['--import', RECORD_MODULES, CLI, ...args] : [CLI, ...args]
  const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', OPENAI_API_KEY: '' }
  return new Promise<{ code: number; stdout: string; stderr: string; modules: string[] }>((resolve) => {
    execFile(process.execPath, nodeArgs, { env, timeout: 120_000 }, (error, stdout, stderr) => {
      const modules = /MODULES (.*)$/.exec(stderr)?.[1]
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, modules: modules ? (JSON.parse(modules) as string[]) : [] })
    })
  })
}

describe('factline CLI startup and flags', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('prints help for every command, demo included, and exits 0', async () => {
    for (const args of [['--help'], ['-h'], ['help'], ['migrate', '--help'], ['demo', '--help'], ['worker', '--help'], ['sweep', '--help'], ['sessions', '--help'], ['facts', '--help']]) {
      const r = await factline(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout, args.join(' ')).toMatch(/Usage/)
    }
  })

  it('prints help and exits 0 when run bare', async () => {
    const r = await factline([])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toContain('Usage: factline <command>')
  })

  it('prints the package version', async () => {
    for (const flag of ['--version', '-v']) expect((await factline([flag])).stdout).toBe(`${pkg.version}\n`)
  })

  it('loads neither the Agents SDK nor a database driver for --help or --version', async () => {
    for (const args of [['--help'], ['--version'], ['demo', '--help']]) {
      const { modules } = await factline(args, { recordModules: true })
      expect(modules.length, args.join(' ')).toBeGreaterThan(0)
      expect(modules.filter((url) => /node_modules\/(@openai|@electric-sql|kysely|pg|bullmq|ioredis|zod|wink)/.test(url)), args.join(' ')).toEqual([])
    }
  })

  it('migrate --status lists pending migrations, changes nothing, and says up to date after migrate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'factline-status-'))
    dirs.push(dir)
    const dataDir = join(dir, 'pglite')
    const before = await factline(['migrate', '--status', '--json', '--data-dir', dataDir])
    expect(before.code, before.stderr).toBe(0)
    const pending = (JSON.parse(before.stdout) as { applied: string[]; pending: string[] })
    expect(pending.applied).toEqual([])
    expect(pending.pending[0]).toMatch(/^0001_/)
    expect((await factline(['migrate', '--status', '--data-dir', dataDir])).stdout).toContain(`${pending.pending.length} pending`)
    expect((await factline(['migrate', '--data-dir', dataDir])).code).toBe(0)
    const after = JSON.parse((await factline(['migrate', '--status', '--json', '--data-dir', dataDir])).stdout) as { applied: string[]; pending: string[] }
    expect(after).toEqual({ applied: pending.pending, pending: [], distributed: false })
  })
})
