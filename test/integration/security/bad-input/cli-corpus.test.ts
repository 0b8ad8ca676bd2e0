import type { AgentInputItem } from '@openai/agents'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import type { Embedder } from '../../../../src/embed/embedder.js'
import { createMemory, type Memory } from '../../../../src/memory.js'
import { expectOutcome, snapshot, usePrivateDatabase, type CorpusCase } from './corpus-harness.js'
import { describeWith } from '../../../helpers/services.js'

// Issue 11's bad-input corpus, CLI half (the built CLI, as users run it) plus createMemory's
// options: every call gives a typed error (CLI: exit 2 naming the usage mistake, or exit 1 with
// `factline [code]:`), never a stack trace, and leaves every stored row as it was.

const CLI = fileURLToPath(new URL('../../../../dist/src/cli/main.js', import.meta.url))
const FACT = '4f1f4b8e-8c1b-4bb0-9d7a-6b2c3e4d5f60'

interface CliCase {
  args: string[]
  /** 0: a correct result; 1: a typed runtime error; 2: a usage error. */
  exit: 0 | 1 | 2
}

const HUGE = '99999999999999999999'
const CLI_CASES: CliCase[] = [
  { args: ['facts', 'list', '--user', 'owner', '--limit', HUGE], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', '0'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', '-1'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', '1.5'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', '1e3'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', 'lots'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', ''], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', '0x10'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', '2147483648'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--namespace', ''], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--namespace', '   '], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--namespace', 'x'.repeat(300)], exit: 1 },
  { args: ['facts', 'list', '--user', ''], exit: 2 },
  { args: ['facts', 'list', '--user', '   '], exit: 1 },
  { args: ['facts', 'list', '--user', 'x'.repeat(600)], exit: 1 },
  { args: ['facts', 'list', '--user', 'owner', '--status', 'bogus'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--limit', '5', '--json'], exit: 0 },
  { args: ['facts', 'list'], exit: 2 },
  { args: ['facts', 'explain'], exit: 2 },
  { args: ['facts', 'explain', 'not-a-uuid'], exit: 1 },
  { args: ['facts', 'explain', FACT], exit: 1 },
  { args: ['facts', 'explain', ''], exit: 2 },
  { args: ['facts', 'explain', FACT, FACT], exit: 2 },
  { args: ['facts', 'forget', FACT], exit: 1 },
  { args: ['facts', 'forget', 'not-a-uuid'], exit: 1 },
  { args: ['facts', 'forget', '--user', ''], exit: 1 },
  { args: ['facts', 'forget', '--user', '   '], exit: 1 },
  { args: ['facts', 'forget', '--user', 'x'.repeat(600)], exit: 1 },
  { args: ['facts', 'forget', FACT, '--user', 'owner'], exit: 2 },
  { args: ['facts', 'frobnicate'], exit: 2 },
  { args: ['facts', 'list', '--user', 'owner', '--colour'], exit: 2 },
  { args: ['sessions', 'list', '--limit', HUGE], exit: 2 },
  { args: ['sessions', 'list', '--limit', '-5'], exit: 2 },
  { args: ['sessions', 'list', '--limit', 'NaN'], exit: 2 },
  { args: ['sessions', 'list', '--user', 'nobody', '--json'], exit: 0 },
  { args: ['sessions', 'show'], exit: 2 },
  { args: ['sessions', 'show', 'no-such-session'], exit: 1 },
  { args: ['sessions', 'show', ''], exit: 2 },
  { args: ['sessions', 'show', '   '], exit: 1 },
  { args: ['sessions', 'show', 'seeded', '--limit', HUGE], exit: 2 },
  { args: ['sessions', 'show', 'seeded', '--limit', '0'], exit: 2 },
  { args: ['sessions', 'show', 'seeded', '--json'], exit: 0 },
  { args: ['sessions', 'frobnicate'], exit: 2 },
  { args: ['migrate', '--embedding-dimensions', 'abc'], exit: 2 },
  { args: ['migrate', '--embedding-dimensions', '0'], exit: 2 },
  { args: ['migrate', '--embedding-dimensions', HUGE], exit: 2 },
  { args: ['migrate', '--database-url', 'definitely not a url'], exit: 1 },
  { args: ['worker', '--concurrency', 'abc'], exit: 2 },
  { args: ['worker', '--concurrency', HUGE], exit: 2 },
  { args: ['worker', '--sweep-interval', '-1'], exit: 2 },
  { args: ['sweep', '--bogus'], exit: 2 },
  { args: ['frobnicate'], exit: 2 },
]

async function factline(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: url, REDIS_URL: inject('redisUrl'), FACTLINE_STARTUP_WAIT_MS: '0' },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** An embedder that answers with NaN: a broken custom embedder. */
const nanEmbedder: Embedder = {
  id: 'test:nan',
  model: 'nan',
  dimensions: 384,
  embed: async (texts: readonly string[]) => texts.map(() => Array.from({ length: 384 }, () => Number.NaN)),
} as unknown as Embedder

function configCases(url: string): CorpusCase[] {
  const open = (options: unknown) => async () => {
    const memory = await createMemory({ env: false, ...(options as object) } as never)
    await memory.close()
  }
  return [
    { name: "createMemory({ queue: { url: 'definitely not a url' } })", call: open({ database: { url }, queue: { url: 'definitely not a url' } }), expected: 'invalid_config' },
    { name: "createMemory({ queue: { url: '' } })", call: open({ database: { url }, queue: { url: '' } }), expected: 'invalid_config' },
    { name: "createMemory({ database: { url: '' } })", call: open({ database: { url: '' } }), expected: 'invalid_config' },
    { name: 'createMemory({ database: { url: not a url } })', call: open({ database: { url: 'definitely not a url' } }), expected: ['invalid_config', 'connection_failed'] },
    { name: 'createMemory({ database: unreachable })', call: open({ database: { url: 'postgres://nobody@127.0.0.1:1/none' } }), expected: 'connection_failed' },
    { name: 'createMemory({ bogus: true })', call: open({ database: { url }, bogus: true }), expected: 'invalid_config' },
    { name: "createMemory({ namespace: '' })", call: open({ database: { url }, namespace: '' }), expected: 'invalid_config' },
    { name: 'createMemory({ recall: { k: -1 } })', call: open({ database: { url }, recall: { k: -1 } }), expected: 'invalid_config' },
    { name: "createMemory('x')", call: () => createMemory('x' as never), expected: 'invalid_config' },
    { name: 'createMemory({ database: { pool: {} } })', call: open({ database: { pool: {} } }), expected: 'invalid_config' },
    {
      name: 'a custom embedder returning NaN: recall gives embedding_failed',
      call: async () => {
        const memory = await createMemory({ database: { dataDir: 'memory://' }, embedder: nanEmbedder, createTables: true, queue: false, env: false })
        try {
          await memory.recall({ userId: 'u', query: 'where do I live?' })
        } finally {
          await memory.close()
        }
      },
      expected: 'embedding_failed',
    },
  ]
}

describeWith('postgres', 'redis')('bad-input corpus: CLI and configuration (PostgreSQL)', () => {
  const privateDb = usePrivateDatabase()
  let memory: Memory
  beforeAll(async () => {
    memory = await createMemory({ database: { url: privateDb.url }, createTables: true, queue: false, env: false })
    await memory.session('seeded', { userId: 'owner' }).addItems([
      { role: 'user', content: 'I live in Porto and I work at Globex.' },
    ] as AgentInputItem[])
    await memory.flush()
  })
  afterAll(async () => {
    await memory?.close()
  })

  it.each(CLI_CASES.map((c) => [c.args.join(' ').slice(0, 80), c] as const))('factline %s', async (_name, c) => {
    const before = await snapshot(memory.db.db)
    const r = await factline(privateDb.url, c.args)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect({ code: r.code, stderr: r.stderr.split('\n')[0] }).toMatchObject({ code: c.exit })
    if (c.exit === 1) expect(r.stderr).toMatch(/^factline \[[a-z_]+\]: /)
    if (c.exit === 2) expect(r.stderr).toMatch(/^factline [a-z]*:? ?/)
    expect(await snapshot(memory.db.db)).toEqual(before)
  })

  it('holds the CLI and configuration calls', () => {
    expect(CLI_CASES.length + configCases('').length).toBeGreaterThanOrEqual(60)
  })

  it.each(configCases('postgres://placeholder').map((c) => [c.name] as const))('%s', async (name) => {
    const c = configCases(privateDb.url).find((x) => x.name === name)!
    const before = await snapshot(memory.db.db)
    await expectOutcome(c)
    expect(await snapshot(memory.db.db)).toEqual(before)
  })
})
