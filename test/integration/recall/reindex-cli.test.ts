import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { createMemory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'

/** The built CLI, as users run it (`npm test` builds first). */
const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url))

async function factline(...args: string[]) {
  const env = { ...process.env }
  // Offline and embedded: the target is the current offline embedder, the database the --data-dir.
  delete env.DATABASE_URL
  delete env.OPENAI_API_KEY
  delete env.FACTLINE_EMBEDDING_DIMENSIONS
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('factline reindex (embedded)', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('moves an offline hash-v1 database to the current embedder, reruns as a no-op, and changes dimension', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'factline-reindex-'))
    dirs.push(dataDir)
    const memory = await createMemory({
      database: { dataDir },
      embedder: new HashEmbedder({ dimensions: 64, semantics: false }),
      queue: false,
      env: false,
    })
    await memory.session(uniqueId('s'), { userId: 'ada' }).addItems([{ role: 'user', content: 'I live in Lisbon.' }])
    await memory.flush()
    await memory.close()

    const first = await factline('reindex', '--data-dir', dataDir, '--json')
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      previousEmbedder: 'hash-v1-64',
      embedder: 'hash-v2-wordnet-64',
      dimensions: 64,
      facts: 1,
      excerpts: 1,
    })
    const again = await factline('reindex', '--data-dir', dataDir, '--json')
    expect(JSON.parse(again.stdout)).toMatchObject({ embedder: 'hash-v2-wordnet-64', facts: 0, excerpts: 0, indexedMessages: 0 })

    const wider = await factline('reindex', '--data-dir', dataDir, '--dimensions', '128')
    expect(wider.code, wider.stderr).toBe(0)
    expect(wider.stdout).toContain('hash-v2-wordnet-64 (64 dims) -> hash-v2-wordnet-128 (128 dims)')
    expect(wider.stdout).toContain('re-embedded 1 fact(s) and 1 excerpt(s)')

    const reopened = await createMemory({ database: { dataDir }, queue: false, env: false })
    expect(reopened.embedder.id).toBe('hash-v2-wordnet-128')
    expect((await reopened.search({ userId: 'ada', query: 'Where do I live?' }))[0]?.text).toBe('Lives in Lisbon')
    await reopened.close()
  })

  it('exits 2 on a bad flag', async () => {
    const r = await factline('reindex', '--dimensions', 'wide')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--dimensions')
  })
})
