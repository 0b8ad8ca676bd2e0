import { run } from '@openai/agents'
import pg from 'pg'
import type { PostgresSession } from '../src/session/postgres-session.js'
import { historyItems, memoryFixture, RUN_INPUT, scriptedAgent } from './lib/agent-fixture.js'
import type { BenchContext } from './lib/context.js'
import { ms, percentile, table } from './lib/stats.js'

export interface RunStartBenchOptions {
  runs: number
  poolSize: number
}

const USERS = 20
const BACKGROUND_FACTS = 100
const HISTORY = 20

/**
 * What the memory costs a run: `memory.run` (recall once, then `run` with the filter that puts
 * the facts in the instructions) against a plain `run` with the same agent, the same scripted
 * model and the same kind of session holding the same history. Arms alternate, so drift on the
 * shared machine hits both.
 */
export async function benchRunStart(ctx: BenchContext, o: RunStartBenchOptions): Promise<string> {
  const pool = new pg.Pool({ connectionString: ctx.url, max: o.poolSize })
  const fixture = await memoryFixture(pool, ctx.redisUrl, USERS, BACKGROUND_FACTS)
  const { memory, userIds, prefix } = fixture
  try {
    const sessions = async (arm: string) => {
      const list: PostgresSession[] = []
      for (const [u, userId] of userIds.entries()) {
        const s = memory.session(`${prefix}-${arm}-${u}`, { userId })
        await s.addItems(historyItems(HISTORY))
        list.push(s)
      }
      return list
    }
    const plainSessions = await sessions('plain')
    const memorySessions = await sessions('memory')
    const plain: number[] = []
    const withMemory: number[] = []
    const contextOnly: number[] = []
    let injected = 0
    let factsInBlock = 0
    const timePlain = async (u: number) => {
      const { agent } = scriptedAgent()
      const t = performance.now()
      await run(agent, RUN_INPUT, { session: plainSessions[u]! })
      return performance.now() - t
    }
    const timeMemory = async (u: number) => {
      const { agent, model } = scriptedAgent()
      const t = performance.now()
      await memory.run(agent, RUN_INPUT, { session: memorySessions[u]! })
      const elapsed = performance.now() - t
      if (model.calls[0]?.request.systemInstructions?.includes('What you know about this user')) injected++
      return elapsed
    }
    for (let i = 0; i < 10; i++) {
      await timePlain(i % USERS)
      await timeMemory(i % USERS)
    }
    injected = 0
    ctx.log(`runstart: ${o.runs} runs per arm`)
    for (let i = 0; i < o.runs; i++) {
      const u = i % USERS
      if (i % 2 === 0) {
        plain.push(await timePlain(u))
        withMemory.push(await timeMemory(u))
      } else {
        withMemory.push(await timeMemory(u))
        plain.push(await timePlain(u))
      }
      const t = performance.now()
      const c = await memory.context({ userId: userIds[u]!, input: RUN_INPUT })
      contextOnly.push(performance.now() - t)
      factsInBlock += c.facts.length
    }
    const added = (p: number) => percentile(withMemory, p) - percentile(plain, p)
    return (
      `${o.runs} runs per arm, ${USERS} users each with the facts the offline NLP extractor drew from two messages plus ` +
      `${BACKGROUND_FACTS} random-vector facts, sessions holding ${HISTORY} items, queue mode (each run's addItems also ` +
      'enqueues an extraction job in Redis, in both arms; no worker runs). One model call per run (ScriptedModel).\n\n' +
      table(
        ['', 'p50 ms', 'p95 ms'],
        [
          ['baseline: `run(agent, input, { session })`', ms(percentile(plain, 50)), ms(percentile(plain, 95))],
          ['`memory.run(agent, input, { session })`', ms(percentile(withMemory, 50)), ms(percentile(withMemory, 95))],
          ['**added by the context builder** (difference of the percentiles)', `**${ms(added(50))}**`, `**${ms(added(95))}**`],
          ['`memory.context()` alone (recall + block), same runs', ms(percentile(contextOnly, 50)), ms(percentile(contextOnly, 95))],
        ],
      ) +
      `\n\nThe model saw the "What you know about this user" block in ${injected} of ${o.runs} memory runs; ` +
      `recall put ${(factsInBlock / o.runs).toFixed(1)} facts in it on average.`
    )
  } finally {
    await fixture.close()
    await pool.end()
  }
}
