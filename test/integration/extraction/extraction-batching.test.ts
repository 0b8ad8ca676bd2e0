import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createDb, type FactlineDb } from '../../../src/db/create-db.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import type { CandidateFactInput, ExtractionInput, Extractor } from '../../../src/extractors/extractor.js'
import type { Scope } from '../../../src/scope.js'
import { listFacts } from '../../../src/facts/fact-repository.js'
import { listFactSources } from '../../helpers/fact-sources.js'
import { processSessionExtraction } from '../../../src/extraction/extraction-processor.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openBackend, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup, describeWith } from '../../helpers/services.js'

/** Proposes the given facts, each citing every item of the batch. */
class ScriptedExtractor implements Extractor {
  readonly id = 'scripted-test'
  readonly model = 'scripted-model'
  constructor(private readonly facts: Array<Omit<CandidateFactInput, 'sourceMessageIds'>>) {}

  async extract(input: ExtractionInput) {
    const cited = input.items.map((i) => i.messageId)
    return this.facts.map((f) => ({ kind: null, key: null, confidence: 1, replacesFactId: null, ...f, sourceMessageIds: cited }))
  }
}

const embedder = new HashEmbedder()

async function storeTurn(handle: FactlineDb, scope: Scope, text: string, sessionId = uniqueId('session')) {
  const session = new PostgresSession({ sessionId, userId: scope.userId, namespace: scope.namespace, db: handle })
  await session.addItems([{ role: 'user', content: text }])
  return sessionId
}

async function events(handle: FactlineDb, scope: Scope) {
  return handle.db
    .selectFrom('fact_events')
    .select(['fact_id', 'event_type', 'job_id', 'extractor', 'model'])
    .where('user_id', '=', scope.userId)
    .where('namespace', '=', scope.namespace)
    .orderBy('id')
    .execute()
}

describeEachSetup<Backend>(['postgres', 'pglite'])('batched extraction commit on %s', (backend) => {
  let handle: FactlineDb
  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle.close()
  })

  it('applies adds, supersedes (also of a fact added in the same batch), noops and events together', async () => {
    const scope: Scope = { userId: uniqueId('user'), namespace: uniqueId('ns') }
    const first = await storeTurn(handle, scope, 'I live in Berlin and I like tea.')
    await processSessionExtraction(
      {
        db: handle.db,
        embedder,
        extractor: new ScriptedExtractor([{ content: 'Lives in Berlin', key: 'home_city' }, { content: 'Likes tea' }]),
      },
      first,
      { jobId: 'job-1' },
    )
    const second = await storeTurn(handle, scope, 'Moved to Oslo. Still like tea. Work at Acme, no, Initech.')
    const result = await processSessionExtraction(
      {
        db: handle.db,
        embedder,
        extractor: new ScriptedExtractor([
          { content: 'Lives in Oslo', key: 'home_city' },
          { content: 'Likes tea' },
          { content: 'Works at Acme', key: 'employer' },
          { content: 'Works at Initech', key: 'employer' },
        ]),
      },
      second,
      { jobId: 'job-2' },
    )
    expect(result).toMatchObject({ added: 1, superseded: 2, noop: 1, updated: 0, dropped: 0 })

    const facts = await listFacts(handle.db, scope, { status: ['active', 'superseded'] })
    const byContent = new Map(facts.map((f) => [f.content, f]))
    expect(Object.fromEntries(facts.map((f) => [f.content, f.status]))).toEqual({
      'Lives in Berlin': 'superseded',
      'Lives in Oslo': 'active',
      'Likes tea': 'active',
      'Works at Acme': 'superseded',
      'Works at Initech': 'active',
    })
    expect(byContent.get('Works at Acme')!.supersededBy).toBe(byContent.get('Works at Initech')!.id)
    expect(byContent.get('Lives in Berlin')!.supersededBy).toBe(byContent.get('Lives in Oslo')!.id)

    const sources = await listFactSources(handle.db, [byContent.get('Likes tea')!.id, byContent.get('Works at Acme')!.id])
    expect(sources.filter((s) => s.factId === byContent.get('Likes tea')!.id).map((s) => s.sessionId)).toEqual([first, second])
    expect(sources.filter((s) => s.factId === byContent.get('Works at Acme')!.id).map((s) => s.sessionId)).toEqual([second])

    const history = await events(handle, scope)
    const name = new Map(facts.map((f) => [f.id, f.content]))
    expect(history.map((e) => `${name.get(e.fact_id)}: ${e.event_type} (${e.job_id})`).sort()).toEqual(
      [
        'Likes tea: added (job-1)',
        'Likes tea: source_added (job-2)',
        'Lives in Berlin: added (job-1)',
        'Lives in Berlin: superseded (job-2)',
        'Lives in Oslo: added (job-2)',
        'Works at Acme: added (job-2)',
        'Works at Acme: superseded (job-2)',
        'Works at Initech: added (job-2)',
      ].sort(),
    )
    expect(new Set(history.map((e) => `${e.extractor}/${e.model}`))).toEqual(new Set(['scripted-test/scripted-model']))
    // A fact's own history stays in order, even though the batch's adds are written first.
    for (const fact of facts) {
      const own = history.filter((e) => e.fact_id === fact.id).map((e) => e.event_type)
      expect(own[0]).toBe('added')
    }
  })

  it('writes every new fact of one batch with its added event', async () => {
    const scope: Scope = { userId: uniqueId('user'), namespace: uniqueId('ns') }
    const sessionId = await storeTurn(handle, scope, 'I like tea and coffee.')
    const deps = {
      db: handle.db,
      embedder,
      extractor: new ScriptedExtractor([{ content: 'Likes tea' }, { content: 'Likes coffee' }]),
    }
    await processSessionExtraction(deps, sessionId)
    expect((await listFacts(handle.db, scope)).map((f) => f.content).sort()).toEqual(['Likes coffee', 'Likes tea'])
    expect((await events(handle, scope)).map((e) => e.event_type)).toEqual(['added', 'added'])
  })
})

describeWith('postgres')('batched extraction commit: statements', () => {
  let pool: pg.Pool
  let handle: FactlineDb
  const statements: string[] = []
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 })
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      client.query = ((...args: unknown[]) => {
        const first = args[0]
        statements.push(typeof first === 'string' ? first : ((first as { text?: string }).text ?? ''))
        return query(...args)
      }) as typeof client.query
    })
    handle = await createDb({ pool })
  })
  afterAll(async () => {
    await handle.close()
    await pool.end()
  })

  async function extractionStatements(facts: number): Promise<string[]> {
    const scope: Scope = { userId: uniqueId('user'), namespace: 'default' }
    const sessionId = await storeTurn(handle, scope, 'Several things about me.')
    const extractor = new ScriptedExtractor(
      Array.from({ length: facts }, (_, i) => ({ content: `Fact number ${i} ${randomUUID()}` })),
    )
    statements.length = 0
    const result = await processSessionExtraction({ db: handle.db, embedder, extractor }, sessionId)
    expect(result.added).toBe(facts)
    return [...statements]
  }

  it('sends the same number of statements for a batch of 3 new facts as for 12', async () => {
    const three = await extractionStatements(3)
    const twelve = await extractionStatements(12)
    expect(twelve.length).toBe(three.length)
    // a call without its user looks it up first; draft: session row, items, relevant facts; commit:
    // begin, lock, session row, items, neighbourhood, ownership, facts, links + events, excerpts,
    // watermark, commit.
    expect(three.length).toBe(15)
  })

  it('turns off synchronous_commit only inside the extraction transaction', async () => {
    const sent = await extractionStatements(2)
    const begin = sent.findIndex((s) => /^begin/i.test(s))
    const setting = sent.findIndex((s) => s.includes(`set_config('synchronous_commit', 'off', true)`))
    expect(begin).toBeGreaterThanOrEqual(0)
    expect(setting).toBeGreaterThan(begin)
    const { rows } = await pool.query<{ synchronous_commit: string }>('show synchronous_commit')
    expect(rows[0]!.synchronous_commit).toBe('on')
  })
})
