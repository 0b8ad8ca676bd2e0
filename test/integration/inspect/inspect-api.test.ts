import type { AgentInputItem } from '@openai/agents'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { WRITE_HEADER } from '../../../src/inspect/inspector-guard.js'
import { serveInspector } from '../../../src/inspect/serve-inspector.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'

const user = (text: string) => ({ role: 'user', content: text }) as AgentInputItem
const WRITE = { [WRITE_HEADER]: '1' }

interface Seeded {
  userId: string
  sessionId: string
  factId: string
}

/** One user with one session and the fact extracted from it. */
async function seedUser(memory: Memory, home: string): Promise<Seeded> {
  const userId = uniqueId('user')
  const sessionId = uniqueId('session')
  await memory.session(sessionId, { userId }).addItems([user(`I live in ${home}.`)])
  await memory.flush()
  const [fact] = await memory.facts.list({ userId })
  if (!fact) throw new Error('extraction found no fact to seed with')
  return { userId, sessionId, factId: fact.id }
}

describe.each(['postgres', 'pglite'] as const)('inspector API (%s)', (backend) => {
  let memory: Memory
  let app: Hono
  let readOnly: Hono
  let ada: Seeded
  let bob: Seeded

  beforeAll(async () => {
    memory = await createMemory({
      database: backend === 'postgres' ? { url: inject('databaseUrl') } : { dataDir: 'memory://' },
      queue: false,
      openai: false,
      env: false,
    })
    ada = await seedUser(memory, 'Berlin')
    bob = await seedUser(memory, 'Oslo')
    app = await memory.inspector({ allowWrites: true })
    readOnly = await memory.inspector()
  })
  afterAll(async () => {
    await memory.close()
  })

  const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, any> })
  const get = async (path: string, target = app) => json(await target.request(path))
  const write = async (method: string, path: string, headers: Record<string, string> = WRITE, target = app) =>
    json(await target.request(path, { method, headers }))

  it("answers 404 not_found for every endpoint given another user's ids", async () => {
    const a = `/api/users/${encodeURIComponent(ada.userId)}`
    const reads = [
      `${a}/sessions/${encodeURIComponent(bob.sessionId)}`,
      `${a}/facts/${bob.factId}`,
      // The user's own ids under another namespace are someone else's too.
      `${a}/sessions/${encodeURIComponent(ada.sessionId)}?namespace=elsewhere`,
      `${a}/facts/${ada.factId}?namespace=elsewhere`,
    ]
    for (const path of reads) expect(await get(path), path).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    const writes: Array<[string, string]> = [
      ['DELETE', `${a}/facts/${bob.factId}`],
      ['POST', `${a}/pipeline/sessions/${encodeURIComponent(bob.sessionId)}/reenqueue`],
    ]
    for (const [method, path] of writes) {
      expect(await write(method, path), path).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    }
    expect((await memory.facts.get({ userId: bob.userId, id: bob.factId })).status).toBe('active')
  })

  it("lists, recalls and reports only the user's own data", async () => {
    const a = `/api/users/${encodeURIComponent(ada.userId)}`
    const sessions = await get(`${a}/sessions`)
    expect(sessions.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual([ada.sessionId])
    const facts = await get(`${a}/facts?status=all`)
    expect(facts.body.facts.map((f: { id: string }) => f.id)).toEqual([ada.factId])
    const { kind } = await memory.facts.get({ userId: ada.userId, id: ada.factId })
    const ids = async (query: string) => (await get(`${a}/facts?${query}`)).body.facts.map((f: { id: string }) => f.id)
    expect(await ids('q=BERLIN')).toEqual([ada.factId])
    expect(await ids('q=oslo')).toEqual([])
    expect(kind).toBeTruthy()
    expect(await ids(`kind=${encodeURIComponent(kind!)}`)).toEqual([ada.factId])
    expect(await ids('kind=no-such-kind')).toEqual([])
    expect(await ids('status=superseded')).toEqual([])
    const recall = await get(`${a}/recall?input=${encodeURIComponent('where does everyone live? Oslo? Berlin?')}`)
    expect(recall.status).toBe(200)
    expect(recall.body.block).toContain('Berlin')
    expect(recall.body.block).not.toContain('Oslo')
    expect(recall.body.block).toBe((await memory.context({ userId: ada.userId, input: 'where does everyone live? Oslo? Berlin?' })).block)
    const pipeline = await get(`${a}/pipeline`)
    expect(pipeline.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual([ada.sessionId])
    const transcript = await get(`${a}/sessions/${encodeURIComponent(ada.sessionId)}`)
    expect(transcript.body.messages[0]).toMatchObject({ role: 'user', text: 'I live in Berlin.', citedBy: [{ factId: ada.factId }] })
  })

  it('answers 400 with a FactlineError code for bad input', async () => {
    const a = `/api/users/${encodeURIComponent(ada.userId)}`
    expect(await get(`${a}/facts?status=bogus`)).toMatchObject({ status: 400, body: { error: { code: 'invalid_argument' } } })
    expect(await get(`${a}/recall?input=${'x'.repeat(10_001)}`)).toMatchObject({ status: 400, body: { error: { code: 'invalid_argument' } } })
    expect(await get(`/api/users/${'u'.repeat(600)}/facts`)).toMatchObject({ status: 400, body: { error: { code: 'invalid_argument' } } })
    expect(await get('/api/no-such-endpoint')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
  })

  it('answers 404 for forgetting or previewing a user with nothing stored', async () => {
    const nobody = encodeURIComponent(uniqueId('nobody'))
    expect((await get(`/api/users/${nobody}/forget-preview`)).status).toBe(404)
    expect((await write('DELETE', `/api/users/${nobody}`)).status).toBe(404)
  })

  it('refuses writes with 403 unless allowWrites, and without the page header or from another origin', async () => {
    const path = `/api/users/${encodeURIComponent(ada.userId)}/facts/${ada.factId}`
    expect(await write('DELETE', path, WRITE, readOnly)).toMatchObject({ status: 403, body: { error: { code: 'read_only' } } })
    expect(await write('DELETE', path, {})).toMatchObject({ status: 403, body: { error: { code: 'csrf' } } })
    expect(await write('DELETE', path, { ...WRITE, origin: 'http://evil.example' })).toMatchObject({ status: 403, body: { error: { code: 'csrf' } } })
    expect((await memory.facts.get({ userId: ada.userId, id: ada.factId })).status).toBe('active')
    // Reads still work read-only, the recall playground included.
    expect((await get(`/api/users/${encodeURIComponent(ada.userId)}/recall?input=home`, readOnly)).status).toBe(200)
  })

  it('forgets a user after showing what will be deleted', async () => {
    const carol = await seedUser(memory, 'Rome')
    const c = `/api/users/${encodeURIComponent(carol.userId)}`
    expect(await get(`${c}/forget-preview`)).toMatchObject({ status: 200, body: { sessions: 1, messages: 1, facts: 1 } })
    expect(await write('DELETE', c)).toMatchObject({ status: 200, body: { removed: { sessions: 1, messages: 1, facts: 1 } } })
    expect((await get(`${c}/sessions`)).body.sessions).toEqual([])
  })
})

describe('inspector authentication', () => {
  let memory: Memory
  beforeAll(async () => {
    memory = await createMemory({ database: { dataDir: 'memory://' }, queue: false, openai: false, env: false })
  })
  afterAll(async () => {
    await memory.close()
  })

  it('answers 401 to a non-loopback host when it has no token', async () => {
    const app = await memory.inspector()
    expect((await app.request('http://inspector.example/api/users')).status).toBe(401)
    expect((await app.request('http://127.0.0.1/api/users')).status).toBe(200)
  })

  it('refuses to serve on a non-loopback host without a token', async () => {
    await expect(serveInspector(memory, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'invalid_config' })
  })

  it('answers 401 without the token, and 200 with it as a bearer or as the cookie ?token= sets', async () => {
    const app = await memory.inspector({ token: 's3cret' })
    expect((await app.request('http://inspector.example/api/users')).status).toBe(401)
    expect((await app.request('http://inspector.example/api/users', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await app.request('http://inspector.example/', { method: 'GET' })).status).toBe(401)
    const ok = await app.request('http://inspector.example/api/users', { headers: { authorization: 'Bearer s3cret' } })
    expect(ok.status).toBe(200)
    const login = await app.request('http://inspector.example/?token=s3cret')
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/')
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    expect((await app.request('http://inspector.example/api/users', { headers: { cookie } })).status).toBe(200)
  })

  it('serves the page and API over HTTP on loopback', async () => {
    const running = await serveInspector(memory, { port: 0 })
    try {
      const page = await fetch(running.url)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect((await fetch(new URL('api/status', running.url))).status).toBe(200)
    } finally {
      await running.close()
    }
  })
})
