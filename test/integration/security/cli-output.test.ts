import type { AgentInputItem } from '@openai/agents'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'

/** The built CLI, as users run it (`npm run build` first). */
const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url))

/** Anything a terminal would act on: ESC, C0 but tab and newline, DEL, C1, bidi controls. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

async function factline(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl') },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('CLI output of hostile stored text', () => {
  let memory: Memory
  const userId = uniqueId('cli-user')
  const sessionId = uniqueId('cli-session')
  const said = 'I live in Porto\u001b[2J\u001b]0;owned\u0007 and\u0085 I work at \u202eexe.lla\u202c Globex.'
  const content = 'Lives in Porto\u001b[2J\u0085\u202e'
  let factId: string

  beforeAll(async () => {
    memory = await createMemory({ database: { url: inject('databaseUrl') }, queue: false, env: false })
    const session = memory.session(sessionId, { userId })
    await session.addItems([{ role: 'user', content: said }] as AgentInputItem[])
    const [message] = await memory.db.db.selectFrom('agent_messages').select('id').where('session_id', '=', sessionId).execute()
    const fact = await memory.facts.add({ userId, content, sources: [{ sessionId, messageId: Number(message!.id) }] })
    factId = fact.id
  })
  afterAll(async () => {
    await memory.close()
  })

  it('prints tables and explanations without escape sequences, C1 or bidi controls', async () => {
    for (const args of [
      ['sessions', 'show', sessionId],
      ['sessions', 'list', '--user', userId],
      ['facts', 'list', '--user', userId],
      ['facts', 'explain', factId],
    ]) {
      const r = await factline(...args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout, args.join(' ')).not.toMatch(UNSAFE)
      if (args[1] !== 'list' || args[0] === 'facts') expect(r.stdout, args.join(' ')).toContain('Porto')
    }
  })

  it('escapes them in --json output, which parses back to the stored text', async () => {
    const shown = await factline('sessions', 'show', sessionId, '--json')
    expect(shown.stdout).not.toMatch(UNSAFE)
    expect((JSON.parse(shown.stdout) as Array<{ item: { content: string } }>)[0]?.item.content).toBe(said)
    const listed = await factline('facts', 'list', '--user', userId, '--json')
    expect(listed.stdout).not.toMatch(UNSAFE)
    expect((JSON.parse(listed.stdout) as Array<{ content: string }>).map((f) => f.content)).toContain(content)
  })

  it('cleans error messages that echo an argument', async () => {
    const r = await factline('sessions', 'show', 'chat\u001b[2J\u202e')
    expect(r.code).toBe(1)
    expect(r.stderr).not.toMatch(UNSAFE)
  })
})
