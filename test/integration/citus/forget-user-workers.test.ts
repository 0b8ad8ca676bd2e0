import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { distributedTablesInOrder } from '../../../src/db/distribute.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { userRowsOnWorkers, type ShardRows } from '../../helpers/citus-cluster.js'
import { describeWith } from '../../helpers/services.js'
import { uniqueId } from '../../helpers/test-env.js'

const tablesWithRows = (rows: ShardRows[]) => [...new Set(rows.filter((r) => r.rows > 0).map((r) => r.table))].sort()

describeWith('citus')('forgetUser on Citus', () => {
  let memory: Memory
  beforeAll(async () => {
    memory = await createMemory({ database: { url: inject('citusUrl') }, queue: false, env: false })
  })
  afterAll(async () => {
    await memory?.close()
  })

  /** A user with sessions, messages, facts, sources, events and excerpts in two namespaces. */
  async function populate(userId: string): Promise<void> {
    for (const namespace of ['default', 'work']) {
      const session = memory.session(uniqueId('s'), { userId, namespace })
      await session.addItems([
        { role: 'user', content: 'I live in Lisbon and I have a dog called Rex.' },
        { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Rex is a great name.' }] },
        { role: 'user', content: 'Actually I moved to Porto last week.' },
      ])
    }
    await memory.flush()
  }

  it('leaves no row of the user in any shard on any worker, and every row of another user', async () => {
    const userId = uniqueId('gone')
    const bystander = uniqueId('stays')
    await populate(userId)
    await populate(bystander)
    const tables = distributedTablesInOrder(memory.db.tables)

    const before = await userRowsOnWorkers(inject('citusUrl'), tables, userId)
    // The check reads real shards: the user's rows are there before, in every table they fill.
    expect(tablesWithRows(before)).toEqual(expect.arrayContaining([memory.db.tables.sessions, memory.db.tables.messages, memory.db.tables.facts]))
    // Colocation: all of one user's rows sit on one worker.
    expect(new Set(before.filter((r) => r.rows > 0).map((r) => r.node)).size).toBe(1)
    const bystanderBefore = await userRowsOnWorkers(inject('citusUrl'), tables, bystander)

    await memory.forgetUser(userId)

    const after = await userRowsOnWorkers(inject('citusUrl'), tables, userId)
    expect(after.filter((r) => r.rows > 0).map((r) => `${r.shard} on ${r.node}: ${r.rows}`)).toEqual([])
    expect(after.length).toBe(before.length)
    const bystanderAfter = await userRowsOnWorkers(inject('citusUrl'), tables, bystander)
    expect(bystanderAfter).toEqual(bystanderBefore)
  })
})
