import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemory } from '../../../src/memory.js'

const holderScript = fileURLToPath(new URL('../../helpers/hold-data-dir.ts', import.meta.url))
const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'factline-lock-'))
  dirs.push(dir)
  return join(dir, 'pglite')
}

/** Starts a process holding `dir` open and resolves once it has opened it. */
function holdInAnotherProcess(dir: string, mode: 'hold' | 'close' = 'hold'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', holderScript, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (/ready|closed/.test(chunk.toString())) resolve(child)
    })
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}`)))
  })
}

const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))

describe('the embedded data folder lock', () => {
  it('refuses a second process with data_dir_locked naming the holder, and says how to stop it', async () => {
    const dir = dataDir()
    const holder = await holdInAnotherProcess(dir)
    const error = await createMemory({ database: { dataDir: dir }, env: false }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'data_dir_locked', details: { holder: { pid: holder.pid } } })
    expect((error as Error).message).toContain(`kill ${holder.pid}`)
    expect((error as Error).message).toContain('hold-data-dir.ts')
  })

  it('opens the folder once the holder has closed its memory', async () => {
    const dir = dataDir()
    const holder = await holdInAnotherProcess(dir, 'close')
    await exited(holder)
    const memory = await createMemory({ database: { dataDir: dir }, env: false })
    await memory.close()
  })

  it('takes over the lock of a process that died without releasing it', async () => {
    const dir = dataDir()
    const holder = await holdInAnotherProcess(dir)
    holder.kill('SIGKILL')
    await exited(holder)
    const memory = await createMemory({ database: { dataDir: dir }, env: false })
    await memory.close()
  })

  it('refuses a second open in the same process too, and releases on close', async () => {
    const dir = dataDir()
    const first = await createMemory({ database: { dataDir: dir }, env: false })
    await expect(createMemory({ database: { dataDir: dir }, env: false })).rejects.toMatchObject({ code: 'data_dir_locked' })
    await first.close()
    const again = await createMemory({ database: { dataDir: dir }, env: false })
    await again.close()
  })
})
