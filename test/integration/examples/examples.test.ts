import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { TEST_EMBEDDING_DIMENSIONS, uniqueId } from '../../helpers/test-env.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** Runs an example as a user would: tsx, importing 'factline' from the build (`npm test` builds first). */
async function runExample(file: string, env: Record<string, string | undefined>) {
  const clean = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', `examples/${file}`], {
    cwd: root,
    env: clean,
    timeout: 120_000,
  })
  return stdout
}

/**
 * The example uses the default queue name, so it gets a Redis database of its own: a worker of
 * another test run (another database) must not take its jobs.
 */
function isolatedRedisUrl(): string {
  const url = new URL(inject('redisUrl'))
  url.pathname = `/${1 + Math.floor(Math.random() * 15)}`
  return url.toString()
}

/**
 * A migrated database of its own for the example: its `factline worker` sweeps for lagging sessions
 * as soon as it starts, and must not pick up other suites' sessions in the run's database.
 */
async function withOwnDatabase<T>(use: (url: string) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: inject('databaseUrl') })
  await admin.connect()
  const name = `factline_example_${uniqueId('db').replaceAll('-', '').slice(2, 18)}`
  await admin.query(`create database ${name}`)
  try {
    const url = new URL(inject('databaseUrl'))
    url.pathname = `/${name}`
    const handle = await createDb({ url: url.toString() })
    await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
    await handle.close()
    return await use(url.toString())
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

const offline = { DATABASE_URL: undefined, REDIS_URL: undefined, OPENAI_API_KEY: undefined }

describe('examples', () => {
  it('has a test for every example', () => {
    expect(readdirSync(new URL('../../../examples/', import.meta.url)).sort()).toEqual([
      '01-quickstart.ts',
      '02-transcript-only.ts',
      '03-production.ts',
      '04-chat.ts',
      '05-tracing-and-tools.ts',
    ])
  })

  it('01-quickstart recalls a fact across sessions and traces it, offline', async () => {
    const out = await runExample('01-quickstart.ts', offline)
    expect(out).toContain('## What you know about this user')
    expect(out).toContain('"Deploys to Hetzner" comes from session "monday": "We deploy to Hetzner."')
  })

  it('02-transcript-only keeps the transcript with the real runner', async () => {
    const out = await runExample('02-transcript-only.ts', offline)
    expect(out).toContain('assistant: You told me your name is Ada.')
    expect(out).toContain('  user: What is my name?')
  })

  it('03-production extracts through a separate worker process', async () => {
    const out = await withOwnDatabase((url) =>
      runExample('03-production.ts', { DATABASE_URL: url, REDIS_URL: isolatedRedisUrl(), OPENAI_API_KEY: undefined }),
    )
    expect(out).toMatch(/Works at Initech/)
    expect(out).toMatch(/Deploys to Fly\.io/)
  })

  it('03-production says what is missing and exits 0 without services', async () => {
    expect(await runExample('03-production.ts', offline)).toContain('Missing: DATABASE_URL, REDIS_URL')
  })

  it('05-tracing-and-tools prints the recall span in the run trace and forgets a fact after approval, offline', async () => {
    const out = await runExample('05-tracing-and-tools.ts', offline)
    expect(out).toMatch(/└ factline\.recall \(2 injected, 0 left out, \d+ tokens\)\n {8}fact [0-9a-f-]{36} score [\d.]+ ← monday#\d/)
    expect(out).toContain('    └ agent Assistant')
    expect(out).toContain('        └ function search_memory')
    expect(out).toMatch(/approval requested: forget_memory\(\{"id":"[0-9a-f-]{36}"\}\)/)
    expect(out).toMatch(/fact [0-9a-f-]{36} is now forgotten/)
  })

  it('04-chat says what is missing and exits 0 without an API key', async () => {
    expect(await runExample('04-chat.ts', offline)).toContain('set OPENAI_API_KEY')
  })
})
