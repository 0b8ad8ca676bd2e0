import type { PluginTransformResultArgs, QueryId, RootOperationNode } from 'kysely'
import { describe, expect, it } from 'vitest'
import { Int8ColumnsPlugin } from '../../../src/db/int8-columns-plugin.js'

const transform = (rows: Record<string, unknown>[]) =>
  new Int8ColumnsPlugin()
    .transformResult({ result: { rows }, queryId: {} as QueryId } as PluginTransformResultArgs)
    .then((r) => r.rows)

describe('Int8ColumnsPlugin', () => {
  it('turns pg strings and PGlite bigints of int8 columns into numbers', async () => {
    expect(await transform([{ id: '42', extracted_through: 7n, n: '3', session_id: '123' }])).toEqual([
      { id: 42, extracted_through: 7, n: 3, session_id: '123' },
    ])
  })

  it('leaves uuids, other columns and numbers alone', async () => {
    const uuid = '0b7e8a4e-3f0c-4d5e-9a51-1f2b3c4d5e6f'
    const row = { id: uuid, content: '42', message_id: 5 }
    const [out] = await transform([row])
    expect(out).toBe(row)
  })

  it('refuses an int8 beyond 2^53 rather than rounding it to another id', async () => {
    await expect(transform([{ id: '9007199254740993' }])).rejects.toThrow(RangeError)
  })

  it('passes queries through unchanged', () => {
    const node = { kind: 'SelectQueryNode' } as unknown as RootOperationNode
    expect(new Int8ColumnsPlugin().transformQuery({ node, queryId: {} as QueryId })).toBe(node)
  })
})
