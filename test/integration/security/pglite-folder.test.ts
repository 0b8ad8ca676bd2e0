import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb } from '../../../src/db/create-db.js'

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('embedded PGlite folder', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'factline-mode-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('creates the data folder and the .factline folder above it readable by their owner only (0700)', async () => {
    const dataDir = join(root, '.factline', 'pglite')
    const handle = await createDb({ dataDir })
    try {
      await sql`select 1`.execute(handle.db)
    } finally {
      await handle.close()
    }
    expect((await mode(dataDir)).toString(8)).toBe('700')
    expect((await mode(join(root, '.factline'))).toString(8)).toBe('700')
  })

  it('tightens an existing data folder', async () => {
    const dataDir = join(root, 'loose')
    await mkdir(dataDir)
    await chmod(dataDir, 0o755)
    const handle = await createDb({ dataDir })
    await handle.close()
    expect((await mode(dataDir)).toString(8)).toBe('700')
  })
})
