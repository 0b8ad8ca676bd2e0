import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { AgentInputItem } from '@openai/agents'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'

/** The built CLI, as users run it (`npm test` builds first). */
const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url))
const env = () => ({ ...process.env, DATABASE_URL: inject('databaseUrl'), REDIS_URL: '', FACTLINE_INSPECT_TOKEN: '' })

describe('factline inspect (CLI)', () => {
  let memory: Memory
  const userId = uniqueId('inspect-cli')

  beforeAll(async () => {
    memory = await createMemory({ database: { url: inject('databaseUrl') }, queue: false, openai: false, env: false })
    await memory.session(uniqueId('s'), { userId }).addItems([{ role: 'user', content: 'I live in Porto.' } as AgentInputItem])
    await memory.flush()
  })
  afterAll(async () => {
    await memory.close()
  })

  it('prints help, and refuses a non-loopback host without a token (exit 1, invalid_config)', async () => {
    const help = await promisify(execFile)(process.execPath, [CLI, 'inspect', '--help'], { env: env() })
    expect(help.stdout).toContain('--allow-writes')
    const refused = await promisify(execFile)(process.execPath, [CLI, 'inspect', '--host', '0.0.0.0'], { env: env() }).catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid_config') })
  })

  it('serves the database read-only until SIGINT, then exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'inspect', '--port', '0'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let out = ''
      child.stdout.setEncoding('utf8')
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk
          const found = /http:\/\/\S+/.exec(out)?.[0]
          if (found) resolve(found)
        })
        child.once('exit', (code) => reject(new Error(`inspect exited early (${code}): ${out}`)))
      })
      const users = (await (await fetch(new URL(`api/users?q=${encodeURIComponent(userId)}`, url))).json()) as { users: Array<{ userId: string }> }
      expect(users.users.map((u) => u.userId)).toEqual([userId])
      const write = await fetch(new URL(`api/users/${encodeURIComponent(userId)}`, url), { method: 'DELETE', headers: { 'x-factline-inspect': '1' } })
      expect(write.status).toBe(403)
      child.kill('SIGINT')
      const [code] = await once(child, 'exit')
      expect(code).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
