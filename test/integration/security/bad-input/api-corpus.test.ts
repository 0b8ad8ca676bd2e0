import type { AgentInputItem } from '@openai/agents'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createMemory, type Memory } from '../../../../src/memory.js'
import { PostgresSession } from '../../../../src/session/postgres-session.js'
import { BAD_IDS, expectOutcome, snapshot, usePrivateDatabase, type CorpusCase } from './corpus-harness.js'
import { describeEachSetup } from '../../../helpers/services.js'

// Issue 11's bad-input corpus, API half: every call must give a typed FactlineError (or a correct
// result) and leave every stored row as it was. Run on a private PostgreSQL database and on PGlite.

const user = (text: string) => ({ type: 'message', role: 'user', content: text }) as AgentInputItem
const OWNER = 'owner'
const SECRET = 'sk-secret-in-a-getter'

/** `base` with an enumerable getter `key` that throws an error holding a secret. */
function throwing<T extends object>(base: object, key: string): T {
  return Object.defineProperty({ ...base }, key, {
    enumerable: true,
    get: () => {
      throw new Error(SECRET)
    },
  }) as T
}
const SESSION = 'seeded'

function idCases(m: () => Memory, factId: () => string): CorpusCase[] {
  const cases: CorpusCase[] = []
  for (const [label, bad, codes] of BAD_IDS) {
    const b = bad as string
    // An absent namespace means the default one: a correct result, not an error.
    const absent = bad === undefined
    cases.push(
      { name: `memory.session(id: ${label})`, call: () => m().session(b, { userId: OWNER }), expected: codes },
      { name: `memory.session(userId: ${label})`, call: () => m().session('s', { userId: b }), expected: codes },
      { name: `memory.session(namespace: ${label})`, call: () => m().session('s', { userId: OWNER, namespace: b }), expected: absent || bad === null ? 'ok' : codes },
      { name: `new PostgresSession(sessionId: ${label})`, call: () => new PostgresSession({ sessionId: b, db: m().db }), expected: codes },
      { name: `memory.recall(userId: ${label})`, call: () => m().recall({ userId: b, query: 'where' }), expected: codes },
      { name: `memory.recall(namespace: ${label})`, call: () => m().recall({ userId: OWNER, namespace: b, query: 'where' }), expected: absent ? 'ok' : codes },
      { name: `memory.search(userId: ${label})`, call: () => m().search({ userId: b, query: 'where' }), expected: codes },
      { name: `memory.explain(factId: ${label})`, call: () => m().explain(b, { userId: OWNER }), expected: [...codes, 'not_found'] },
      { name: `memory.explain(userId: ${label})`, call: () => m().explain(factId(), { userId: b }), expected: codes },
      { name: `memory.forgetUser(${label})`, call: () => m().forgetUser(b), expected: codes },
      { name: `memory.forget(factId: ${label})`, call: () => m().forget(b, { userId: OWNER }), expected: [...codes, 'not_found'] },
      { name: `memory.forget(userId: ${label})`, call: () => m().forget(factId(), { userId: b }), expected: codes },
      { name: `memory.context(userId: ${label})`, call: () => m().context({ userId: b, input: 'hello' }), expected: codes },
      {
        name: `memory.importTranscript(sessionId: ${label})`,
        call: () => m().importTranscript({ sessionId: b, userId: OWNER, items: [user('x')] }),
        expected: codes,
      },
      {
        name: `memory.importTranscript(userId: ${label})`,
        call: () => m().importTranscript({ sessionId: 'imp', userId: b, items: [user('x')] }),
        expected: codes,
      },
      { name: `memory.facts.list(userId: ${label})`, call: () => m().facts.list({ userId: b }), expected: codes },
      { name: `memory.facts.get(id: ${label})`, call: () => m().facts.get({ userId: OWNER, id: b }), expected: [...codes, 'not_found'] },
      {
        name: `memory.facts.add(userId: ${label})`,
        call: () => m().facts.add({ userId: b, content: 'likes tea', sources: [{ sessionId: SESSION, messageId: 1 }] }),
        expected: codes,
      },
      {
        name: `memory.facts.add(source sessionId: ${label})`,
        call: () => m().facts.add({ userId: OWNER, content: 'likes tea', sources: [{ sessionId: b, messageId: 1 }] }),
        expected: [...codes, 'not_found'],
      },
      { name: `memory.facts.forget(id: ${label})`, call: () => m().facts.forget({ userId: OWNER, id: b }), expected: [...codes, 'not_found'] },
    )
  }
  return cases
}

function otherCases(m: () => Memory, factId: () => string): CorpusCase[] {
  const holes = [user('a'), , user('b')] as AgentInputItem[] // eslint-disable-line no-sparse-arrays
  const seeded = () => m().session(SESSION, { userId: OWNER })
  const s = (id = SESSION) => m().session(id, { userId: OWNER })
  return [
    { name: "memory.session('s', undefined)", call: () => m().session('s', undefined as never), expected: ['invalid_argument', 'unknown_user'] },
    { name: "memory.session('s', {})", call: () => m().session('s', {} as never), expected: 'unknown_user' },
    { name: "memory.session('s', null)", call: () => m().session('s', null as never), expected: ['invalid_argument', 'unknown_user'] },
    { name: "memory.session('s', 'u')", call: () => m().session('s', 'u' as never), expected: ['invalid_argument', 'unknown_user'] },
    { name: 'memory.session(s, historyLimit 0)', call: () => m().session('s', { userId: OWNER, historyLimit: 0 }), expected: 'invalid_config' },
    { name: 'memory.explain(id, undefined)', call: () => m().explain(factId(), undefined as never), expected: ['invalid_argument', 'unknown_user'] },
    { name: 'memory.explain(id, null)', call: () => m().explain(factId(), null as never), expected: ['invalid_argument', 'unknown_user'] },
    { name: 'memory.recall(throwing getter)', call: () => m().recall(throwing({ query: 'x' }, 'userId')), expected: 'invalid_argument' },
    { name: 'memory.search(throwing getter)', call: () => m().search(throwing({ userId: OWNER }, 'query')), expected: 'invalid_argument' },
    { name: 'memory.facts.list(throwing getter)', call: () => m().facts.list(throwing({}, 'userId')), expected: 'invalid_argument' },
    { name: 'memory.importTranscript(item with throwing getter)', call: () => m().importTranscript({ sessionId: 'imp', userId: OWNER, items: [throwing({ type: 'message', role: 'user' }, 'content')] }), expected: ['invalid_argument', 'invalid_item'] },
    { name: 'session.addItems(item with throwing getter)', call: () => s().addItems([throwing({ type: 'message', role: 'user' }, 'content')]), expected: 'invalid_item' },
    { name: 'memory.forget(id, undefined)', call: () => m().forget(factId(), undefined as never), expected: 'invalid_argument' },
    { name: 'memory.forget(id, other user)', call: () => m().forget(factId(), { userId: 'someone-else' }), expected: 'not_found' },
    { name: 'memory.explain(id, other user)', call: () => m().explain(factId(), { userId: 'someone-else' }), expected: 'not_found' },
    { name: 'memory.explain(random uuid)', call: () => m().explain('4f1f4b8e-8c1b-4bb0-9d7a-6b2c3e4d5f60', { userId: OWNER }), expected: 'not_found' },
    { name: 'memory.recall(undefined)', call: () => m().recall(undefined as never), expected: 'invalid_argument' },
    { name: 'memory.recall(query NUL)', call: () => m().recall({ userId: OWNER, query: '\u0000' }), expected: 'ok', check: (v) => expect(v).toEqual([]) },
    { name: 'memory.recall(query lone surrogate)', call: () => m().recall({ userId: OWNER, query: 'where \uD800' }), expected: 'ok' },
    { name: 'memory.recall(query number)', call: () => m().recall({ userId: OWNER, query: 42 as never }), expected: 'invalid_argument' },
    { name: 'memory.recall(k -1)', call: () => m().recall({ userId: OWNER, query: 'x', k: -1 }), expected: 'invalid_argument' },
    { name: 'memory.recall(k NaN)', call: () => m().recall({ userId: OWNER, query: 'x', k: Number.NaN }), expected: 'invalid_argument' },
    { name: 'memory.recall(k 1e20)', call: () => m().recall({ userId: OWNER, query: 'x', k: 1e20 }), expected: 'invalid_argument' },
    { name: 'memory.recall(unknown option)', call: () => m().recall({ userId: OWNER, query: 'x', colour: 1 } as never), expected: 'invalid_argument' },
    { name: 'memory.search(query NUL)', call: () => m().search({ userId: OWNER, query: 'a\u0000b' }), expected: 'ok' },
    { name: 'memory.search(undefined)', call: () => m().search(undefined as never), expected: 'invalid_argument' },
    { name: 'memory.context(undefined)', call: () => m().context(undefined as never), expected: ['invalid_argument', 'unknown_user'] },
    { name: 'memory.context(input number)', call: () => m().context({ userId: OWNER, input: 42 as never }), expected: ['invalid_argument', 'invalid_item'] },
    { name: 'memory.forgetUser(undefined)', call: () => m().forgetUser(undefined as never), expected: 'invalid_argument' },
    { name: 'memory.importTranscript(undefined)', call: () => m().importTranscript(undefined as never), expected: 'invalid_argument' },
    { name: 'memory.importTranscript(items holes)', call: () => m().importTranscript({ sessionId: 'imp', userId: OWNER, items: holes }), expected: ['invalid_argument', 'invalid_item'] },
    { name: 'memory.importTranscript(item Date)', call: () => m().importTranscript({ sessionId: 'imp', userId: OWNER, items: [{ ...user('x'), providerData: { d: new Date() } } as never] }), expected: 'invalid_item' },
    { name: 'memory.importTranscript(bad at)', call: () => m().importTranscript({ sessionId: 'imp', userId: OWNER, items: [{ ...user('x'), at: 'yesterday' }] }), expected: 'invalid_argument' },
    { name: 'memory.importTranscript(invalid Date at)', call: () => m().importTranscript({ sessionId: 'imp', userId: OWNER, items: [{ ...user('x'), at: new Date(Number.NaN) }] }), expected: 'invalid_argument' },
    { name: 'memory.importTranscript(into a foreign session)', call: () => m().importTranscript({ sessionId: SESSION, userId: 'intruder', items: [user('x')] }), expected: 'session_conflict' },
    { name: 'memory.facts.add(blank content)', call: () => m().facts.add({ userId: OWNER, content: '   ', sources: [{ sessionId: SESSION, messageId: 1 }] }), expected: 'invalid_argument' },
    { name: 'memory.facts.add(no sources)', call: () => m().facts.add({ userId: OWNER, content: 'x', sources: [] }), expected: 'invalid_argument' },
    { name: 'memory.facts.add(messageId 1e20)', call: () => m().facts.add({ userId: OWNER, content: 'x', sources: [{ sessionId: SESSION, messageId: 1e20 }] }), expected: ['invalid_argument', 'not_found'] },
    { name: 'memory.facts.add(messageId "01")', call: () => m().facts.add({ userId: OWNER, content: 'x', sources: [{ sessionId: SESSION, messageId: '01' as never }] }), expected: 'invalid_argument' },
    { name: 'memory.facts.add(content NUL)', call: () => m().facts.add({ userId: OWNER, content: '\u0000', sources: [{ sessionId: SESSION, messageId: 1 }] }), expected: ['invalid_argument', 'not_found'] },
    { name: 'memory.facts.list(limit 1e20)', call: () => m().facts.list({ userId: OWNER, limit: 1e20 }), expected: 'invalid_argument' },
    { name: 'memory.facts.list(limit NaN)', call: () => m().facts.list({ userId: OWNER, limit: Number.NaN }), expected: 'invalid_argument' },
    { name: 'memory.facts.list(since invalid Date)', call: () => m().facts.list({ userId: OWNER, since: new Date(Number.NaN) }), expected: 'invalid_argument' },
    { name: 'memory.facts.list(status bogus)', call: () => m().facts.list({ userId: OWNER, status: 'bogus' as never }), expected: 'invalid_argument' },
    { name: 'memory.facts.update(other user)', call: () => m().facts.update({ userId: 'someone-else', id: factId(), content: 'x' }), expected: 'not_found' },
    { name: 'memory.facts.retract(other user)', call: () => m().facts.retract({ userId: 'someone-else', id: factId() }), expected: 'not_found' },
    { name: 'memory.facts.update(blank content)', call: () => m().facts.update({ userId: OWNER, id: factId(), content: '  ' }), expected: 'invalid_argument' },
    { name: 'memory.facts.supersede(bad fact)', call: () => m().facts.supersede({ userId: OWNER, id: factId(), fact: { content: '', sources: [] } }), expected: 'invalid_argument' },
    { name: 'memory.facts.addSources(foreign session)', call: () => m().facts.addSources({ userId: 'someone-else', id: factId(), sources: [{ sessionId: SESSION, messageId: 1 }] }), expected: 'not_found' },
    // Session methods
    { name: 'session.getItems(1e20)', call: () => seeded().getItems(1e20), expected: 'ok', check: (v) => expect(v).toHaveLength(3) },
    { name: 'session.getItems(Number.MAX_VALUE)', call: () => seeded().getItems(Number.MAX_VALUE), expected: 'ok', check: (v) => expect(v).toHaveLength(3) },
    { name: 'session.getItems(2 ** 53)', call: () => seeded().getItems(2 ** 53), expected: 'ok', check: (v) => expect(v).toHaveLength(3) },
    { name: 'session.getItems(-1)', call: () => seeded().getItems(-1), expected: 'invalid_argument' },
    { name: 'session.getItems(NaN)', call: () => seeded().getItems(Number.NaN), expected: 'invalid_argument' },
    { name: 'session.getItems(1.5)', call: () => seeded().getItems(1.5), expected: 'invalid_argument' },
    { name: 'session.getItems(Infinity)', call: () => seeded().getItems(Infinity), expected: 'invalid_argument' },
    { name: "session.getItems('2')", call: () => seeded().getItems('2' as never), expected: 'invalid_argument' },
    { name: 'session.getItems(null)', call: () => seeded().getItems(null as never), expected: 'invalid_argument' },
    { name: 'session.getItems(0)', call: () => seeded().getItems(0), expected: 'ok', check: (v) => expect(v).toEqual([]) },
    { name: 'session.getItems(foreign user)', call: () => m().session(SESSION, { userId: 'intruder' }).getItems(), expected: 'session_conflict' },
    { name: 'session.addItems(new Array(2))', call: () => s().addItems(new Array(2)), expected: 'invalid_item' },
    { name: 'session.addItems(holes)', call: () => s().addItems(holes), expected: 'invalid_item' },
    { name: 'session.addItems(toJSON number)', call: () => s().addItems([{ ...user('x'), toJSON: () => 42 } as never]), expected: 'invalid_item' },
    { name: 'session.addItems(toJSON undefined)', call: () => s().addItems([{ ...user('x'), toJSON: () => undefined } as never]), expected: 'invalid_item' },
    { name: 'session.addItems(undefined)', call: () => s().addItems(undefined as never), expected: 'invalid_item' },
    { name: 'session.addItems(null)', call: () => s().addItems(null as never), expected: 'invalid_item' },
    { name: "session.addItems('text')", call: () => s().addItems('text' as never), expected: 'invalid_item' },
    { name: 'session.addItems({})', call: () => s().addItems({} as never), expected: 'invalid_item' },
    { name: 'session.addItems([null])', call: () => s().addItems([null as never]), expected: 'invalid_item' },
    { name: "session.addItems(['x'])", call: () => s().addItems(['x' as never]), expected: 'invalid_item' },
    { name: 'session.addItems([[]])', call: () => s().addItems([[] as never]), expected: 'invalid_item' },
    { name: 'session.addItems([{}])', call: () => s().addItems([{} as never]), expected: 'invalid_item' },
    { name: 'session.addItems(type number)', call: () => s().addItems([{ type: 1, content: 'x' } as never]), expected: 'invalid_item' },
    { name: 'session.addItems(Date item)', call: () => s().addItems([new Date() as never]), expected: 'invalid_item' },
    { name: 'session.addItems(bigint)', call: () => s().addItems([{ ...user('x'), n: 1n } as never]), expected: 'invalid_item' },
    { name: 'session.addItems(Map)', call: () => s().addItems([{ ...user('x'), providerData: new Map() } as never]), expected: 'invalid_item' },
    { name: 'session.addItems(proxy item)', call: () => s().addItems([new Proxy(user('x'), {})]), expected: 'invalid_item' },
    { name: 'session.addItems(too large)', call: () => s().addItems([user('x'.repeat(9 * 1024 * 1024))]), expected: 'content_too_large' },
    { name: 'session.addItems(too many)', call: () => s().addItems(Array.from({ length: 10_001 }, () => user('x'))), expected: 'content_too_large' },
    { name: 'session.addItems(foreign session)', call: () => m().session(SESSION, { userId: 'intruder' }).addItems([user('x')]), expected: 'session_conflict' },
    { name: 'session.addItems(options null)', call: () => s('new-1').addItems([user('x')], null as never), expected: 'invalid_argument' },
    { name: "session.addItems(idempotencyKey '')", call: () => s('new-2').addItems([user('x')], { idempotencyKey: '' }), expected: 'empty_id' },
    { name: 'session.addItems(idempotencyKey surrogate)', call: () => s('new-3').addItems([user('x')], { idempotencyKey: '\uD800' }), expected: 'invalid_argument' },
    { name: 'session.popItem(foreign)', call: () => m().session(SESSION, { userId: 'intruder' }).popItem(), expected: 'session_conflict' },
    { name: 'session.clearSession(foreign)', call: () => m().session(SESSION, { userId: 'intruder' }).clearSession(), expected: 'session_conflict' },
    { name: 'session.replaceHistoryWithCompaction(holes)', call: () => seeded().replaceHistoryWithCompaction(holes), expected: 'invalid_item' },
    { name: 'session.replaceHistoryWithCompaction(foreign)', call: () => m().session(SESSION, { userId: 'intruder' }).replaceHistoryWithCompaction([user('x')]), expected: 'session_conflict' },
    { name: 'session.applyHistoryTransaction(undefined)', call: () => seeded().applyHistoryTransaction(undefined as never), expected: 'invalid_argument' },
    { name: 'session.applyHistoryTransaction({})', call: () => seeded().applyHistoryTransaction({} as never), expected: 'invalid_argument' },
    { name: 'session.applyHistoryTransaction(op NUL)', call: () => seeded().applyHistoryTransaction({ operationId: 'a\u0000', transaction: { type: 'append_items', items: [] } }), expected: 'invalid_argument' },
    { name: 'session.applyHistoryTransaction(type bogus)', call: () => seeded().applyHistoryTransaction({ operationId: 'op', transaction: { type: 'bogus' } as never }), expected: 'invalid_argument' },
    { name: 'session.applyHistoryTransaction(items holes)', call: () => seeded().applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: holes } }), expected: 'invalid_item' },
    { name: 'session.applyHistoryTransaction(suffix mismatch)', call: () => seeded().applyHistoryTransaction({ operationId: 'op', transaction: { type: 'replace_suffix', expectedSuffix: [user('nope')], replacement: [] } }), expected: 'session_conflict' },
    { name: 'session.applyHistoryMutations(undefined)', call: () => seeded().applyHistoryMutations(undefined as never), expected: 'invalid_argument' },
    { name: "session.applyHistoryMutations({mutations:'x'})", call: () => seeded().applyHistoryMutations({ mutations: 'x' } as never), expected: 'invalid_argument' },
    { name: 'session.applyHistoryMutations(bad type)', call: () => seeded().applyHistoryMutations({ mutations: [{ type: 'x' }] } as never), expected: 'invalid_argument' },
    { name: 'session.applyHistoryMutations(message replacement)', call: () => seeded().applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'c', replacement: user('x') }] } as never), expected: 'invalid_item' },
  ]
}

describeEachSetup(['postgres', 'pglite'] as const)('bad-input corpus: API (%s)', (backend) => {
  const privateDb = backend === 'postgres' ? usePrivateDatabase() : undefined
  let memory: Memory
  let factId = ''
  beforeAll(async () => {
    memory = await createMemory({
      database: privateDb ? { url: privateDb.url } : { dataDir: 'memory://' },
      createTables: true,
      queue: false,
      env: false,
    })
    await memory.session(SESSION, { userId: OWNER }).addItems([user('I live in Lisbon.'), user('I work at Globex.'), user('I like tea.')])
    await memory.flush()
    factId = (await memory.facts.list({ userId: OWNER }))[0]!.id
  })
  afterAll(async () => {
    await memory?.close()
  })

  const m = () => memory
  const cases = [...idCases(m, () => factId), ...otherCases(m, () => factId)]

  it('holds at least 170 API calls', () => {
    expect(cases.length).toBeGreaterThanOrEqual(170)
  })

  it.each(cases.map((c) => [c.name, c] as const))('%s: typed outcome, nothing stored changed', async (_name, c) => {
    const before = await snapshot(memory.db.db)
    await expectOutcome(c)
    expect(await snapshot(memory.db.db)).toEqual(before)
  })
})
