import { sql } from 'kysely'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup } from '../../helpers/services.js'

type Setup = 'pglite+inline' | 'postgres+inline' | 'postgres+redis+worker'

describeEachSetup<Setup>(['pglite+inline', 'postgres+inline', 'postgres+redis+worker'])('memory.search (%s)', (setup) => {
  let memory: Memory

  beforeAll(async () => {
    memory = await createMemory({
      database: setup === 'pglite+inline' ? { dataDir: 'memory://' } : { url: inject('databaseUrl') },
      ...(setup === 'postgres+redis+worker' ? { queue: { url: inject('redisUrl'), name: uniqueId('test') } } : { queue: false }),
      env: false,
    })
    if (setup === 'postgres+redis+worker') await memory.worker({ concurrency: 2, sweepIntervalMs: 0 })
  })
  afterAll(async () => {
    await memory.close()
  })

  const excerptsOf = async (userId: string) => {
    const rows = await sql<{ n: string | number }>`select count(*) as n from ${sql.table('transcript_excerpts')} where user_id = ${userId}`.execute(
      memory.db.db,
    )
    return Number(rows.rows[0]!.n)
  }

  it('returns excerpts of what the user said and facts with their sources, in one ranked list', async () => {
    const userId = uniqueId('ada')
    const session = memory.session(uniqueId('s'), { userId })
    await session.addItems([
      { role: 'user', content: 'I live in Lisbon.' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Lisbon is lovely, what about the marathon?' }] } as never,
      { role: 'user', content: 'Ana ran the Berlin marathon in under four hours last weekend.' },
    ])
    await memory.flush()
    const [lisbonId, , marathonId] = (await sql<{ id: string | number }>`select id from ${sql.table('agent_messages')}
      where session_id = ${await session.getSessionId()} order by id`.execute(memory.db.db)).rows.map((r) => Number(r.id))

    const marathon = await memory.search({ userId, query: 'How fast did Ana run the marathon?' })
    expect(marathon[0]).toMatchObject({
      type: 'excerpt',
      text: 'Ana ran the Berlin marathon in under four hours last weekend.',
      sessionId: await session.getSessionId(),
      messageId: marathonId,
      sources: [{ sessionId: await session.getSessionId(), messageId: marathonId }],
    })
    expect(marathon[0]!.at).toBeInstanceOf(Date)
    // The assistant's message is not indexed by default.
    expect(marathon.every((h) => !h.text.includes('what about the marathon'))).toBe(true)

    const home = await memory.search({ userId, query: 'Where do I live?' })
    expect(home[0]).toMatchObject({ type: 'fact', text: 'Lives in Lisbon', sources: [{ messageId: lisbonId }] })
    // The message the fact came from is folded into it, not listed a second time.
    expect(home.filter((h) => h.type === 'excerpt' && h.messageId === lisbonId)).toEqual([])

    expect((await memory.search({ userId, query: 'Where do I live?', types: ['fact'] })).every((h) => h.type === 'fact')).toBe(true)
    const excerptsOnly = await memory.search({ userId, query: 'Where do I live?', types: ['excerpt'] })
    expect(excerptsOnly[0]).toMatchObject({ type: 'excerpt', text: 'I live in Lisbon.', messageId: lisbonId })
    // recall keeps its contract: facts only.
    expect((await memory.recall({ userId, query: 'Where do I live?' })).map((f) => f.content)).toEqual(['Lives in Lisbon'])
  })

  it('folds a fact into its source message when that message ranks above it, so one statement takes one slot', async () => {
    const userId = uniqueId('diego')
    const session = memory.session(uniqueId('s'), { userId })
    await session.addItems([
      { role: 'user', content: 'I went home to Guadalajara for christmas and flew back to Glasgow on the 8th of january.' },
      { role: 'user', content: 'I live in Glasgow.' },
    ])
    await memory.flush()
    const query = 'When did Diego fly back to Glasgow after christmas at home in Guadalajara?'
    const facts = await memory.search({ userId, query, types: ['fact'] })
    const fused = await memory.search({ userId, query })
    // "I live in Glasgow." ranks above the fact drawn from it, which is then not listed beside it;
    // the trip's first fact outranks its message, which is folded into the fact as before.
    expect(facts.map((f) => f.text)).toContain('Lives in Glasgow')
    expect(fused.map((h) => h.text)).toContain('I live in Glasgow.')
    expect(fused.map((h) => h.text)).not.toContain('Lives in Glasgow')
    expect(fused[0]).toMatchObject({ type: 'fact', text: 'Went home to Guadalajara for christmas' })
    // No listed fact has every source listed above it as an excerpt.
    for (const fact of fused.filter((h) => h.type === 'fact')) {
      const above = (messageId: number) => fused.some((e) => e.type === 'excerpt' && e.messageId === messageId && e.score > fact.score)
      expect(fact.sources.every((s) => above(s.messageId))).toBe(false)
    }
  })

  it("gives a reply's excerpt the question it answers, across turns, and the run's block shows it", async () => {
    const userId = uniqueId('diego')
    const session = memory.session(uniqueId('s'), { userId })
    await session.addItems([
      { role: 'user', content: 'I moved to the aerodynamics sub-team and do CFD on the rear wing now.' },
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'A great project. What software are you using?' }] } as never,
    ])
    await memory.flush()
    await session.addItems([{ role: 'user', content: 'ANSYS Fluent, mostly.' }])
    await memory.flush()

    const hits = await memory.search({ userId, query: 'Which CFD software does Diego use?', types: ['excerpt'] })
    const reply = hits.find((h) => h.text === 'ANSYS Fluent, mostly.')
    expect(reply).toMatchObject({ type: 'excerpt', replyTo: 'What software are you using?' })
    // The conversation's first message answers nothing.
    expect(hits.find((h) => h.text.startsWith('I moved'))).not.toHaveProperty('replyTo')
    const context = await memory.context({ userId, input: 'Which CFD software does Diego use?' })
    expect(context.block).toContain('(replying to "What software are you using?") "ANSYS Fluent, mostly."')
  })

  it('finds the exact match for a user holding more excerpts than the Hamming candidate depth', async () => {
    // 450 excerpts > 10 × 40 candidates: the vector ranking starts from the binary codes.
    const userId = uniqueId('heavy')
    const session = memory.session(uniqueId('s'), { userId })
    const colours = ['amber', 'cobalt', 'crimson', 'jade', 'ochre', 'slate', 'teal', 'violet', 'saffron']
    const things = ['kayak', 'violin', 'greenhouse', 'telescope', 'bicycle', 'loom', 'lantern', 'canoe', 'sextant', 'kiln', 'harp', 'anvil']
    const places = ['harbour', 'orchard', 'attic', 'quarry', 'lighthouse']
    const texts = Array.from(
      { length: 450 },
      (_, i) => `Last spring I repainted the ${things[i % 12]} in ${colours[Math.floor(i / 12) % 9]} near the ${places[Math.floor(i / 108) % 5]}, entry ${i}.`,
    )
    await session.addItems(texts.map((content) => ({ role: 'user' as const, content })))
    await memory.flush()
    expect(await excerptsOf(userId)).toBeGreaterThan(400)
    const target = texts[321]!
    const hits = await memory.search({ userId, query: target, types: ['excerpt'] })
    expect(hits[0]).toMatchObject({ type: 'excerpt', text: target })
  })

  it('indexes each message once however often extraction runs', async () => {
    const userId = uniqueId('once')
    const session = memory.session(uniqueId('s'), { userId })
    await session.addItems([{ role: 'user', content: 'We adopted a grey cat called Miso in March.' }])
    await memory.flush()
    await memory.sweep()
    await memory.flush()
    await session.addItems([{ role: 'user', content: 'Miso already sleeps on the keyboard.' }])
    await memory.flush()
    expect(await excerptsOf(userId)).toBe(2)
  })

  it('indexes a message holding U+0000 without it, and keeps the stored item exact', async () => {
    const userId = uniqueId('nul')
    const session = memory.session(uniqueId('s'), { userId })
    const item = { role: 'user' as const, content: 'The spare key is under the blue\u0000 flowerpot.' }
    await session.addItems([item])
    await memory.flush()
    expect(await session.getItems()).toEqual([item])
    const hits = await memory.search({ userId, query: 'spare key flowerpot', types: ['excerpt'] })
    expect(hits.map((h) => h.text)).toEqual(['The spare key is under the blue flowerpot.'])
  })

  it('leaves no excerpt behind after popItem, clearSession or forgetUser', async () => {
    const userId = uniqueId('gone')
    const a = memory.session(uniqueId('a'), { userId })
    const b = memory.session(uniqueId('b'), { userId })
    await a.addItems([{ role: 'user', content: 'My locker code is 4312, please remember it.' }])
    await b.addItems([{ role: 'user', content: 'The garage door sticks when it rains.' }])
    await memory.flush()
    expect(await excerptsOf(userId)).toBe(2)

    await a.popItem()
    expect(await excerptsOf(userId)).toBe(1)
    expect((await memory.search({ userId, query: 'locker code' })).map((h) => h.text)).toEqual([
      'The garage door sticks when it rains.',
    ])

    await b.clearSession()
    expect(await excerptsOf(userId)).toBe(0)

    const c = memory.session(uniqueId('c'), { userId })
    await c.addItems([{ role: 'user', content: 'I still have the old bike in the shed.' }])
    await memory.flush()
    expect(await excerptsOf(userId)).toBe(1)
    await memory.forgetUser(userId)
    expect(await excerptsOf(userId)).toBe(0)
    expect(await memory.search({ userId, query: 'old bike shed' })).toEqual([])
  })

  it("never returns another user's or another namespace's excerpts, whatever the ids look like", async () => {
    const alice = uniqueId('alice')
    const marker = `zanzibar${uniqueId('m').replaceAll('-', '')}`
    await memory.session(uniqueId('s'), { userId: alice }).addItems([{ role: 'user', content: `The ${marker} trip is booked for June.` }])
    await memory
      .session(uniqueId('s'), { userId: alice, namespace: 'work' })
      .addItems([{ role: 'user', content: `The ${marker} offsite is planned for June too.` }])
    await memory.flush()
    expect((await memory.search({ userId: alice, query: `${marker} trip` })).map((h) => h.text)).toEqual([
      `The ${marker} trip is booked for June.`,
    ])
    expect((await memory.search({ userId: alice, namespace: 'work', query: `${marker} trip` })).map((h) => h.text)).toEqual([
      `The ${marker} offsite is planned for June too.`,
    ])
    const adversarial = [
      uniqueId('bob'),
      `${alice} `,
      alice.toUpperCase(),
      `${alice}' or '1'='1`,
      "' or 1=1 --",
      '%',
      '*',
      `${alice.slice(0, -1)}_`,
    ]
    for (const userId of adversarial) {
      expect(await memory.search({ userId, query: `${marker} trip June` })).toEqual([])
    }
    for (const namespace of ['default ', 'Default', "default' or '1'='1", '%', 'other']) {
      expect(await memory.search({ userId: alice, namespace, query: `${marker} trip June` })).toEqual([])
    }
  })

  it('imports history with its original times: messages, excerpts and facts keep them', async () => {
    const userId = uniqueId('import')
    const sessionId = uniqueId('log')
    const result = await memory.importTranscript({
      sessionId,
      userId,
      at: '2023-05-08T13:56:00Z',
      items: [
        { role: 'user', content: 'I work at Initech.' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Since when?' }] } as never,
        { role: 'user', content: 'We finally adopted a puppy called Biscuit yesterday.', at: '2023-06-01T09:30:00Z' },
      ],
    })
    expect(result.messageIds).toHaveLength(3)
    expect(result.extracted).toBe(setup !== 'postgres+redis+worker')
    await memory.flush()

    // Stored exactly as given, without the import's `at`.
    const session = memory.session(sessionId, { userId })
    expect(await session.getItems()).toEqual([
      { role: 'user', content: 'I work at Initech.' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Since when?' }] },
      { role: 'user', content: 'We finally adopted a puppy called Biscuit yesterday.' },
    ])
    const puppy = await memory.search({ userId, query: 'When did we adopt the puppy Biscuit?', types: ['excerpt'] })
    expect(puppy[0]).toMatchObject({ messageId: result.messageIds[2], at: new Date('2023-06-01T09:30:00Z') })
    const [work] = await memory.recall({ userId, query: 'where do I work' })
    expect(work).toMatchObject({ content: 'Works at Initech', validFrom: new Date('2023-05-08T13:56:00Z') })
    expect(work!.sources[0]).toMatchObject({ messageId: result.messageIds[0], createdAt: new Date('2023-05-08T13:56:00Z') })
    const may = await memory.search({ userId, query: 'Initech puppy', since: '2023-05-01', until: '2023-05-31' })
    expect(may.map((h) => h.text)).toEqual(['Works at Initech'])

    await expect(
      memory.importTranscript({ sessionId, userId: uniqueId('mallory'), items: [{ role: 'user', content: 'I own this now.' }] }),
    ).rejects.toMatchObject({ code: 'session_conflict' })
    await expect(
      memory.importTranscript({ sessionId, userId, namespace: 'other', items: [{ role: 'user', content: 'Moved.' }] }),
    ).rejects.toMatchObject({ code: 'session_conflict' })
    expect(await session.getItems()).toHaveLength(3)
    await expect(memory.importTranscript({ sessionId, userId, items: [] })).rejects.toMatchObject({ code: 'invalid_argument' })
    await expect(
      memory.importTranscript({ sessionId, userId, items: [{ role: 'user', content: 'x', at: 'last tuesday' }] }),
    ).rejects.toMatchObject({ code: 'invalid_argument' })
  })

  it('filters by time and refuses bad input with a typed error', async () => {
    const userId = uniqueId('time')
    await memory.session(uniqueId('s'), { userId }).addItems([{ role: 'user', content: 'I started learning the cello.' }])
    await memory.flush()
    expect(await memory.search({ userId, query: 'cello', since: new Date(Date.now() + 60_000) })).toEqual([])
    expect(await memory.search({ userId, query: 'cello', until: '2000-01-01' })).toEqual([])
    expect((await memory.search({ userId, query: 'cello', since: '2000-01-01T00:00:00Z' })).length).toBeGreaterThan(0)
    for (const bad of [
      { k: 101 },
      { k: 0 },
      { types: ['memo'] },
      { types: [] },
      { query: 'x'.repeat(10_001) },
      { since: 'yesterday' },
      { since: '2024-02-01', until: '2024-01-01' },
      { surprise: true },
    ]) {
      await expect(memory.search({ userId, query: 'cello', ...bad } as never)).rejects.toMatchObject({ code: 'invalid_argument' })
    }
    await expect(memory.search({ userId: ' ', query: 'cello' })).rejects.toMatchObject({ code: 'empty_id' })
    expect(await memory.search({ userId, query: 'cello\u0000' })).not.toEqual([])
  })
})
