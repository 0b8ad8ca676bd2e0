import { Agent, MemorySession } from '@openai/agents'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { Logger } from '../../../src/logger.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'

describe('first-hour papercuts (embedded)', () => {
  let memory: Memory
  beforeAll(async () => {
    memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })
  })
  afterAll(async () => {
    await memory?.close()
  })

  it("memory.context recalls in the session's namespace", async () => {
    const userId = uniqueId('ada')
    await memory.session(uniqueId('monday'), { userId, namespace: 'support' }).addItems([{ role: 'user', content: 'We deploy to Hetzner.' }])
    await memory.flush()
    const friday = memory.session(uniqueId('friday'), { userId, namespace: 'support' })
    const inSupport = await memory.context({ userId, input: 'Where do we deploy?', session: friday })
    expect(inSupport.facts.map((f) => f.content)).toContain('Deploys to Hetzner')
    const inDefault = await memory.context({ userId, input: 'Where do we deploy?' })
    expect(inDefault.facts).toEqual([])
  })

  it("facts.list takes status 'all', and a bad status names the allowed values", async () => {
    const userId = uniqueId('grace')
    await memory.session(uniqueId('s'), { userId }).addItems([{ role: 'user', content: 'I live in Berlin.' }])
    await memory.flush()
    const [fact] = await memory.facts.list({ userId })
    await memory.facts.retract({ id: fact!.id, userId })
    expect(await memory.facts.list({ userId })).toEqual([])
    expect((await memory.facts.list({ userId, status: 'all' })).map((f) => [f.id, f.status])).toEqual([[fact!.id, 'retracted']])
    const error = await memory.facts.list({ userId, status: 'every' as never }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'invalid_argument' })
    expect((error as Error).message).toContain("'active', 'superseded', 'retracted', 'forgotten', 'all'")
  })

  it('memory.run without a factline session fails, saying how to get memory, before any model call', async () => {
    const agent = new Agent({ name: 'a', instructions: 'x', model: 'never-called' })
    for (const options of [{ userId: 'ada' }, { userId: 'ada', session: new MemorySession() }]) {
      const error = await memory.run(agent, 'hi', options).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'invalid_argument' })
      expect((error as Error).message).toContain('memory.session(id, { userId })')
      expect((error as Error).message).toContain('memory.context(')
    }
  })
})

describe('createMemory at startup', () => {
  it('uses FACTLINE_NAMESPACE when the options leave the namespace out', async () => {
    const memory = await createMemory({ database: { dataDir: 'memory://' }, env: { FACTLINE_NAMESPACE: 'team-a' } })
    const explicit = await createMemory({ database: { dataDir: 'memory://' }, namespace: 'mine', env: { FACTLINE_NAMESPACE: 'team-a' } })
    try {
      expect(memory.session('s', { userId: 'u' }).namespace).toBe('team-a')
      expect(explicit.session('s', { userId: 'u' }).namespace).toBe('mine')
    } finally {
      await memory.close()
      await explicit.close()
    }
  })

  it('names the three ways out of a dimension_mismatch', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'factline-dims-')), 'pglite')
    try {
      await (await createMemory({ database: { dataDir }, env: false })).close()
      const error = await createMemory({ database: { dataDir }, embedder: new HashEmbedder({ dimensions: 64 }), env: false }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'dimension_mismatch' })
      expect((error as Error).message).toMatch(/Three ways out: keep the embedder .*; start a new database or data folder .*; or move this one to the new embedder with `factline reindex --dimensions 64`/)
    } finally {
      rmSync(dirname(dataDir), { recursive: true, force: true })
    }
  })

  it("fails with queue_unavailable when the queue's Redis does not answer, or warns when told to", async () => {
    const error = await createMemory({ database: { dataDir: 'memory://' }, queue: { url: 'redis://:pw@127.0.0.1:1' }, env: false }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'queue_unavailable', details: { where: '127.0.0.1:1' } })
    expect((error as Error).message).toContain('queue: false')
    expect((error as Error).message).not.toContain('pw')

    const errors: string[] = []
    const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (message) => errors.push(message) }
    const memory = await createMemory({
      database: { dataDir: 'memory://' },
      queue: { url: 'redis://127.0.0.1:1', onUnavailable: 'warn' },
      env: false,
      logger,
    })
    await memory.close()
    expect(errors).toEqual([expect.stringContaining('does not answer')])
  })
})
