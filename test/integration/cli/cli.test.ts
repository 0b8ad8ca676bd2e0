import type { AgentInputItem } from '@openai/agents'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeWith } from '../../helpers/services.js'

/** The built CLI, as users run it (`npm test` builds first). */
const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url))

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

describeWith('postgres')('factline CLI', () => {
  let memory: Memory
  const userId = uniqueId('cli-user')
  const sessionId = uniqueId('cli-session')

  beforeAll(async () => {
    memory = await createMemory({ database: { url: inject('databaseUrl') }, queue: false, env: false })
    await memory.session(sessionId, { userId }).addItems([
      { role: 'user', content: 'I live in Porto and I work at Globex.' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Noted.' }] },
    ] as AgentInputItem[])
    await memory.flush()
  })
  afterAll(async () => {
    await memory.close()
  })

  it('prints help for every command and exits 0', async () => {
    for (const args of [['--help'], ['migrate', '--help'], ['worker', '--help'], ['sweep', '--help'], ['sessions', '--help'], ['facts', '--help']]) {
      const r = await factline(...args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/Usage/)
    }
  })

  it('exits 2 and names the argument on bad usage', async () => {
    const unknown = await factline('frobnicate')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "frobnicate"')
    const missingUser = await factline('facts', 'list')
    expect(missingUser.code).toBe(2)
    expect(missingUser.stderr).toContain('--user')
    const badLimit = await factline('sessions', 'list', '--limit', 'lots')
    expect(badLimit.code).toBe(2)
    expect(badLimit.stderr).toContain('--limit')
    const badFlag = await factline('facts', 'list', '--user', 'x', '--colour')
    expect(badFlag.code).toBe(2)
  })

  it('lists and shows sessions, as a table or JSON', async () => {
    const table = await factline('sessions', 'list', '--user', userId)
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(sessionId)
    const shown = JSON.parse((await factline('sessions', 'show', sessionId, '--json')).stdout) as Array<{ item: unknown }>
    expect(shown.map((r) => r.item)).toEqual([
      { role: 'user', content: 'I live in Porto and I work at Globex.' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Noted.' }] },
    ])
    const missing = await factline('sessions', 'show', 'no-such-session')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('[not_found]')
  })

  it("lists a user's facts, explains one down to its source message, and forgets it", async () => {
    const facts = JSON.parse((await factline('facts', 'list', '--user', userId, '--json')).stdout) as Array<{ id: string; content: string }>
    expect(facts.map((f) => f.content).sort()).toEqual(['Lives in Porto', 'Works at Globex'])
    const porto = facts.find((f) => f.content === 'Lives in Porto')!

    const explained = await factline('facts', 'explain', porto.id)
    expect(explained.code).toBe(0)
    expect(explained.stdout).toContain(sessionId)
    expect(explained.stdout).toContain('I live in Porto')
    expect(explained.stdout).toContain('added')

    expect((await factline('facts', 'forget', porto.id)).code).toBe(0)
    const after = JSON.parse((await factline('facts', 'list', '--user', userId, '--json')).stdout) as Array<{ content: string }>
    expect(after.map((f) => f.content)).toEqual(['Works at Globex'])
  })

  it('forgets a whole supersession chain with --chain, from its oldest link', async () => {
    const mover = uniqueId('cli-chain')
    const session = memory.session(uniqueId('s'), { userId: mover })
    await session.addItems([{ role: 'user', content: 'I live in Oslo.' }])
    await memory.flush()
    await session.addItems([{ role: 'user', content: 'Actually, I moved to Bergen last month.' }])
    await memory.flush()
    const all = JSON.parse((await factline('facts', 'list', '--user', mover, '--status', 'all', '--json')).stdout) as Array<{
      id: string
      content: string
      status: string
    }>
    const oslo = all.find((f) => f.content.includes('Oslo'))!
    expect(oslo.status).toBe('superseded')
    expect(all.some((f) => f.status === 'active' && f.content.includes('Bergen'))).toBe(true)
    expect((await factline('facts', 'forget', oslo.id, '--chain')).code).toBe(0)
    const after = JSON.parse((await factline('facts', 'list', '--user', mover, '--status', 'all', '--json')).stdout) as Array<{ content: string }>
    expect(after.filter((f) => f.content.includes('Oslo') || f.content.includes('Bergen'))).toEqual([])
  })

  it('forgets a whole user', async () => {
    const other = uniqueId('cli-forget')
    await memory.session(uniqueId('s'), { userId: other }).addItems([{ role: 'user', content: 'I live in Oslo.' }])
    await memory.flush()
    const r = await factline('facts', 'forget', '--user', other, '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ sessions: 1, messages: 1, facts: 1 })
    expect(JSON.parse((await factline('facts', 'list', '--user', other, '--status', 'all', '--json')).stdout)).toEqual([])
  })

  it('runs the offline demo', async () => {
    const r = await factline('demo')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('## What you know about this user')
    expect(r.stdout).toContain('Deploys to Hetzner')
    expect(r.stdout).toMatch(/Why does the agent believe "Deploys to Hetzner"\?\n {2}said in session "monday"/)
    expect(r.stdout).toMatch(/Current belief "Moved to Lisbon in \w+ \d{4}" replaced:/)
  })
})
