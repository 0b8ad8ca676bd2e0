import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { BACKENDS } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'

const user = (content: string) => ({ role: 'user' as const, content })

describe.each(BACKENDS)('memory.search ranks current values above stale ones (%s)', (backend) => {
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

  /** Two sessions a year apart: the second corrects the first. */
  async function history(userId: string, before: string[], after: string[]) {
    await memory.importTranscript({ sessionId: uniqueId('s1'), userId, items: before.map((t) => ({ ...user(t), at: new Date('2024-01-10T10:00:00Z') })) })
    if (after.length > 0) {
      await memory.importTranscript({ sessionId: uniqueId('s2'), userId, items: after.map((t) => ({ ...user(t), at: new Date('2025-01-10T10:00:00Z') })) })
    }
    await memory.flush()
  }

  it('never lets a message whose fact was superseded outrank the fact that replaced it', async () => {
    const userId = uniqueId('hannah')
    await history(
      userId,
      ["Hi! I'm Hannah, a senior backend developer at Freightwise, a logistics startup in Kraków."],
      ['Lots of news. I became tech lead of the backend team three weeks ago.'],
    )
    const facts = await memory.facts.list({ userId, status: ['active', 'superseded'] })
    expect(facts.find((f) => f.content.startsWith('Is a senior backend developer'))).toMatchObject({ status: 'superseded' })

    const hits = await memory.search({ userId, query: 'What is her role at Freightwise?' })
    const current = hits.findIndex((h) => h.text.startsWith('Became tech lead'))
    const stale = hits.findIndex((h) => h.text.includes('senior backend developer'))
    expect(current).toBeGreaterThanOrEqual(0)
    expect(stale === -1 || stale > current).toBe(true)
  })

  it('finds a keyed fact by what its key is about, with no word in common', async () => {
    const userId = uniqueId('aisha')
    await history(userId, ["Hi, I'm Aisha. It's half term here in Manchester."], ["And I've been promoted to senior accountant!"])
    const [first] = await memory.search({ userId, query: "What is Aisha's job title?", types: ['fact'] })
    expect(first).toMatchObject({ text: 'Has been promoted to senior accountant' })
  })

  it("matches the user's name fact by text only when the question is about names", async () => {
    const userId = uniqueId('diego')
    await history(userId, ["hey! I'm Diego.", 'I study mechanical engineering at the University of Glasgow.'], [])
    const name = await memory.search({ userId, query: "What is the user's name?", types: ['fact'] })
    expect(name[0]).toMatchObject({ text: 'Name is Diego' })
    const degree = await memory.search({ userId, query: 'What does Diego study?', types: ['fact'] })
    expect(degree[0]?.text).toBe('Studies mechanical engineering at the University of Glasgow')
  })
})
