import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const run = promisify(execFile)

/** A CommonJS project in an empty folder, with factline linked in as installed (from the build). */
function commonJsProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'factline-cjs-'))
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true })
  symlinkSync(root, join(dir, 'node_modules', 'factline'), 'dir')
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n')
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

describe('a CommonJS consumer', () => {
  const dirs: string[] = []
  let runtime: string
  let typed: string
  beforeAll(() => {
    runtime = commonJsProject({
      'index.js': `
const { createMemory, FactlineError } = require('factline')
createMemory({ database: { dataDir: 'memory://' }, env: false }).then(async (memory) => {
  const session = memory.session('monday', { userId: 'ada' })
  await session.addItems([{ role: 'user', content: 'I love my car.' }])
  await memory.flush()
  const [fact] = await memory.recall({ userId: 'ada', query: 'automobile' })
  console.log(JSON.stringify({ fact: fact && fact.content, errorClass: typeof FactlineError }))
  await memory.close()
})
`,
    })
    typed = commonJsProject({
      'tsconfig.json': JSON.stringify({
        compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        files: ['index.ts'],
      }),
      'index.ts': `
import { createMemory, FactlineError, type Memory } from 'factline'
export async function main(): Promise<string[]> {
  const memory: Memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })
  const facts = await memory.recall({ userId: 'u', query: 'x' })
  await memory.close()
  return facts.map((f) => f.content).concat(FactlineError.name)
}
`,
    })
    dirs.push(runtime, typed)
  })
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it("require('factline') works end to end, the offline embedder's WordNet included", async () => {
    const { stdout } = await run(process.execPath, ['index.js'], { cwd: runtime, timeout: 120_000 })
    expect(JSON.parse(stdout)).toEqual({ fact: 'Loves their car', errorClass: 'function' })
  })

  it('type-checks in a CommonJS TypeScript project (module node16), and a type error is still caught', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    await expect(run(process.execPath, [tsc, '-p', '.'], { cwd: typed })).resolves.toBeDefined()
    writeFileSync(join(typed, 'wrong.ts'), "import { createMemory } from 'factline'\nexport const n: number = createMemory\n")
    writeFileSync(
      join(typed, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['wrong.ts'] }),
    )
    await expect(run(process.execPath, [tsc, '-p', '.'], { cwd: typed })).rejects.toMatchObject({ stdout: expect.stringContaining('TS2322') })
  })
})
