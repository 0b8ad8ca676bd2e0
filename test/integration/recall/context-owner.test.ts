import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { BACKENDS } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'

describe.each(BACKENDS)('memory.context checks the stored session owner inside its search (%s)', (backend) => {
  let memory: Memory
  beforeAll(async () => {
    memory = await createMemory({
      database: backend === 'pglite' ? { dataDir: 'memory://' } : { url: inject('databaseUrl') },
      queue: false,
      env: false,
    })
  })
  afterAll(async () => {
    await memory.close()
  })

  it('refuses a session stored under another user, with a query and with nothing to search for', async () => {
    const owner = uniqueId('owner')
    const sessionId = uniqueId('s')
    await memory.session(sessionId, { userId: owner }).addItems([{ role: 'user', content: 'I live in Lisbon.' }])
    await memory.flush()
    const intruder = `${owner}-x`
    const handle = memory.session(sessionId, { userId: intruder })
    for (const input of ['Where do I live?', '   ']) {
      await expect(memory.context({ userId: intruder, input, session: handle })).rejects.toMatchObject({ code: 'session_conflict' })
    }
    // Another namespace of the same user is another owner too.
    const elsewhere = memory.session(sessionId, { userId: owner, namespace: 'other' })
    await expect(memory.context({ userId: owner, namespace: 'other', input: 'Where do I live?', session: elsewhere })).rejects.toMatchObject({
      code: 'session_conflict',
    })
  })

  it("searches for the session's owner, and for a session not stored yet", async () => {
    const owner = uniqueId('owner')
    await memory.session(uniqueId('s'), { userId: owner }).addItems([{ role: 'user', content: 'I live in Lisbon.' }])
    await memory.flush()
    const fresh = memory.session(uniqueId('new'), { userId: owner })
    const context = await memory.context({ userId: owner, input: 'Where do I live?', session: fresh })
    expect(context.facts.map((f) => f.content)).toContain('Lives in Lisbon')
  })
})
