import { Agent, setTracingDisabled } from '@openai/agents'
import { assistantMessage, ScriptedModel } from '@openai/agents/testing'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createMemory, type Memory } from '../../../src/memory.js'
import { describePlan, explainOnCitus, isMultiStep, isSingleShard, plannableStatements, type StatementPlan } from '../../helpers/citus-plans.js'
import { describeWith } from '../../helpers/services.js'
import { capturingPool, type CapturedStatement, type CapturingPool } from '../../helpers/statement-capture.js'
import { uniqueId } from '../../helpers/test-env.js'

setTracingDisabled(true)

/** Every plan the scenarios below checked, for the last test's look at how many steps each took. */
const checked: StatementPlan[] = []

/** Fails listing every statement Citus would not run on a single shard, by its first line. */
async function expectSingleShard(statements: readonly CapturedStatement[]): Promise<StatementPlan[]> {
  const plans = await explainOnCitus(inject('citusUrl'), plannableStatements(statements))
  checked.push(...plans)
  const offenders = plans.filter((p) => !isSingleShard(p)).map(describePlan)
  expect(offenders, `statements not routed to one shard:\n${offenders.join('\n')}`).toEqual([])
  return plans
}

describeWith('citus', 'redis')('every statement of a memory turn and of an extraction job runs on one shard', () => {
  let capture: CapturingPool
  let memory: Memory
  const agentWith = (reply: string) => new Agent({ name: 'Assistant', instructions: 'Be brief.', model: new ScriptedModel([[assistantMessage(reply)]]) })

  beforeAll(async () => {
    capture = capturingPool(inject('citusUrl'))
    memory = await createMemory({ database: { pool: capture.pool }, queue: false, env: false })
  })
  afterAll(async () => {
    await memory?.close()
    await capture?.pool.end()
  })

  it('a turn: history read, append, inline extraction, recall, search and context', async () => {
    const userId = uniqueId('ada')
    const first = memory.session(uniqueId('a'), { userId })
    // A first turn outside the capture gives the captured one facts and excerpts to find.
    await memory.run(agentWith('Noted!'), 'By the way, I live in Lisbon and I work as a nurse.', { session: first })
    await memory.flush()

    capture.record()
    const second = memory.session(uniqueId('b'), { userId })
    await memory.run(agentWith('You live in Lisbon.'), 'Where do I live?', { session: second })
    await memory.flush()
    await memory.recall({ userId, query: 'where do I live' })
    await memory.search({ userId, query: 'what is my job' })
    await memory.context({ userId, input: 'Where do I live?', session: second })
    const statements = capture.stop()

    expect(statements.length).toBeGreaterThan(5)
    const plans = await expectSingleShard(statements)
    // Not vacuous: the turn did reach the distributed tables.
    expect(plans.filter((p) => p.taskCounts.length > 0).length).toBeGreaterThan(3)
  })

  it('an extraction job: draft reads, commit of facts and sources, watermark', async () => {
    const userId = uniqueId('bo')
    const session = memory.session(uniqueId('s'), { userId })
    capture.record()
    await session.addItems([
      { role: 'user', content: 'My name is Bo and I live in Porto.' },
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Nice to meet you, Bo.' }] },
    ])
    await memory.flush()
    await session.addItems([{ role: 'user', content: 'Actually I moved to Braga last month.' }])
    await memory.flush()
    const statements = capture.stop()
    const [fact] = await memory.recall({ userId, query: 'where does Bo live' })
    expect(fact, 'the extraction job stored a fact').toBeDefined()
    await expectSingleShard(statements)
  })

  it('popping a turn, explaining a fact and forgetting the user', async () => {
    const userId = uniqueId('cy')
    const session = memory.session(uniqueId('s'), { userId })
    await session.addItems([{ role: 'user', content: 'I live in Faro.' }])
    await memory.flush()
    const [fact] = await memory.recall({ userId, query: 'where do I live' })
    capture.record()
    if (fact) await memory.explain(fact.id, { userId })
    await session.popItem()
    await memory.forgetUser(userId)
    const statements = capture.stop()
    await expectSingleShard(statements)
  })

  it('a job through the queue and a worker: the user travels sealed, so no statement reads every shard', async () => {
    const queued = await createMemory({ database: { pool: capture.pool }, queue: { url: inject('redisUrl'), name: uniqueId('citus-queue') }, env: false })
    const worker = await queued.worker({ concurrency: 1, sweepIntervalMs: 0 })
    try {
      const userId = uniqueId('di')
      capture.record()
      await queued.session(uniqueId('s'), { userId }).addItems([{ role: 'user', content: 'I live in Lagos and I work at Acme.' }])
      await queued.flush()
      const statements = capture.stop()
      expect((await queued.recall({ userId, query: 'where do I live' })).length, 'the worker stored a fact').toBeGreaterThan(0)
      // The look-up by session id alone (`findSessionUserId`) is what a job without its user would send.
      expect(statements.filter((s) => /"session_id" = \$1 and left\(/.test(s.text))).toEqual([])
      await expectSingleShard(statements)
    } finally {
      await worker.close()
      await queued.close()
    }
  })

  // One shard is the requirement; one round trip is what makes a statement cheap. Citus runs a
  // data-modifying CTE as subplans (each on the user's one shard, results passed through the
  // coordinator): the writes below do so today, and any other statement doing it is a regression.
  it('runs every other statement as one router query, with nothing passed through the coordinator', () => {
    const knownMultiStep = [
      /^\s*with sess as \(insert into "agent_sessions"/, // session upsert + append of the items, one statement
      /^\s*with "linked" as \(insert into "fact_sources"/, // extraction commit: sources and their events
      /^\s*with removed as \(/, // retractFactsOfDeletedMessages: sources, events and retractions
    ]
    expect(checked.length, 'the scenarios above ran first').toBeGreaterThan(0)
    const multiStep = [...new Map(checked.filter(isMultiStep).map((p) => [p.statement.text, p])).values()]
    const unexpected = multiStep.filter((p) => !knownMultiStep.some((known) => known.test(p.statement.text))).map(describePlan)
    expect(unexpected, `statements Citus runs in several steps:\n${unexpected.join('\n')}`).toEqual([])
  })
})
