import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createCitusDatabase } from '../../helpers/citus-cluster.js'
import { describeWith, lacks } from '../../helpers/services.js'
import { TEST_EMBEDDING_DIMENSIONS } from '../../helpers/test-env.js'

const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url))

function factline(args: string[]) {
  const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', OPENAI_API_KEY: '' }
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    })
  })
}

describeWith('citus')('factline migrate --distributed (CLI)', () => {
  let database: { url: string; drop: () => Promise<void> }
  beforeAll(async () => {
    database = await createCitusDatabase(inject('citusUrl'), 'factline_citus_cli')
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('plain migrate on a Citus database leaves the tables local and says how to distribute them', async () => {
    const r = await factline(['migrate', '--database-url', database.url, '--embedding-dimensions', String(TEST_EMBEDDING_DIMENSIONS)])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^applied 0001_create_tables, .*\nnote: the citus extension is installed .*factline migrate --distributed/s)
  })

  it('distributes, printing what it dropped and distributed; a second run has nothing to do', async () => {
    const first = await factline(['migrate', '--distributed', '--database-url', database.url])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('dropped index agent_sessions_session_id_key')
    expect(first.stdout).toContain('dropped trigger fact_sources_retract_orphans')
    expect(first.stdout).toContain(
      'distributed by user_id, colocated with agent_sessions: agent_sessions, agent_messages, agent_session_operations, facts, fact_sources, fact_events, transcript_excerpts',
    )
    expect(first.stdout).toContain('reference table: factline_meta')

    const again = await factline(['migrate', '--distributed', '--database-url', database.url])
    expect(again.stdout).toBe(`up to date (embedding dimension ${TEST_EMBEDDING_DIMENSIONS})\nalready distributed on Citus by user_id\n`)
    const status = await factline(['migrate', '--status', '--json', '--database-url', database.url])
    expect(JSON.parse(status.stdout)).toMatchObject({ pending: [], distributed: true })
  })

  it.skipIf(lacks('postgres'))('refuses a database without citus before migrating anything, exit 1', async () => {
    const r = await factline(['migrate', '--distributed', '--database-url', inject('databaseUrl')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/\[invalid_config\]: the citus extension is not installed/)
    expect(r.stdout).toBe('')
  })
})
