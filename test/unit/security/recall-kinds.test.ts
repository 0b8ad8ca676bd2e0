import { describe, expect, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { resolveTableNames } from '../../../src/db/table-names.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { MAX_RECALL_KINDS, recallFacts } from '../../../src/recall/recall.js'
import { compileOnlyDb } from '../../helpers/dummy-db.js'

/** recallFacts on a database that only records what it is sent. */
function recordingHandle(statements: string[]): FactlineDb {
  const db = compileOnlyDb({}, (sql) => statements.push(sql))
  return { db, tables: resolveTableNames({}), backend: 'postgres', close: () => db.destroy() }
}

describe('recall kinds are bounded', () => {
  const embedder = new HashEmbedder({ dimensions: 8 })

  it.each([
    ['70 000 kinds', Array.from({ length: 70_000 }, (_, i) => `kind-${i}`)],
    [`${MAX_RECALL_KINDS + 1} kinds`, Array.from({ length: MAX_RECALL_KINDS + 1 }, (_, i) => `k${i}`)],
    ['a 65-character kind', ['x'.repeat(65)]],
    ['an empty kind', ['']],
  ])('rejects %s with invalid_argument before any statement is sent', async (_, kinds) => {
    const statements: string[] = []
    const handle = recordingHandle(statements)
    await expect(recallFacts(handle, embedder, { userId: 'u1', query: 'where do I deploy?', kinds })).rejects.toMatchObject({
      code: 'invalid_argument',
    })
    expect(statements).toEqual([])
    await handle.close()
  })

  it(`accepts ${MAX_RECALL_KINDS} kinds of 64 characters`, async () => {
    const statements: string[] = []
    const handle = recordingHandle(statements)
    const kinds = Array.from({ length: MAX_RECALL_KINDS }, (_, i) => `${i}`.padEnd(64, 'k'))
    await recallFacts(handle, embedder, { userId: 'u1', query: 'where do I deploy?', kinds })
    expect(statements).toHaveLength(1)
    await handle.close()
  })
})
