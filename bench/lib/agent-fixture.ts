import { randomUUID } from 'node:crypto'
import { Agent, type AgentInputItem } from '@openai/agents'
import { assistantMessage, ScriptedModel } from '@openai/agents/testing'
import pg from 'pg'
import { createMemory, type Memory } from '../../src/memory.js'
import { processSessionExtraction } from '../../src/extraction/extraction-processor.js'

/** A fresh agent whose scripted model answers once, so a run is one model call and no network. */
export function scriptedAgent(): { agent: Agent; model: ScriptedModel } {
  const model = new ScriptedModel([[assistantMessage('Hetzner eu-central, as before.')]])
  return { agent: new Agent({ name: 'Assistant', instructions: 'Be brief.', model }), model }
}

export const RUN_INPUT = 'Where do we deploy the API, and in which language is it written?'

/** What a user told the agent earlier; the rule extractor turns it into facts recall finds for RUN_INPUT. */
const seedTurn = (u: number): AgentInputItem[] => [
  { role: 'user', content: `I live in Cityville${u}. I prefer TypeScript over Go. Our deploy target is Hetzner eu-central.` },
  { role: 'user', content: 'We use PostgreSQL for the API database. My name is Ada and I work at Example Corp.' },
]

export const historyItems = (n: number): AgentInputItem[] =>
  Array.from({ length: n }, (_, i) =>
    i % 2
      ? { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `Answer ${i}: done.` }] }
      : { role: 'user', content: `Question ${i}: can you check the build?` },
  )

/**
 * A memory in queue mode on `pool` (a fresh queue name, no worker, so nothing extracts in the
 * background while runs are timed), with `users` users whose facts were extracted beforehand
 * and `backgroundFacts` extra random-vector facts each, so recall ranks a realistic crowd.
 */
export async function memoryFixture(pool: pg.Pool, redisUrl: string, users: number, backgroundFacts: number) {
  const queueName = `factline-bench-${randomUUID()}`
  const memory: Memory = await createMemory({ database: { pool }, queue: { url: redisUrl, name: queueName }, openai: false, env: false })
  const prefix = `rs-${randomUUID().slice(0, 8)}`
  const userIds = Array.from({ length: users }, (_, u) => `${prefix}-user-${u}`)
  for (const [u, userId] of userIds.entries()) {
    const seed = memory.session(`${prefix}-seed-${u}`, { userId })
    await seed.addItems(seedTurn(u))
    await processSessionExtraction({ db: memory.db.db, extractor: memory.extractor, embedder: memory.embedder }, `${prefix}-seed-${u}`)
    if (backgroundFacts > 0) {
      await pool.query(
        `insert into facts (user_id, namespace, content, embedding)
         select $1, 'default', 'background fact ' || g,
                (select array_agg(random() * 2 - 1)::vector from generate_series(1, $3::int) where g > 0 or g <= 0)
         from generate_series(1, $2::int) g`,
        [userId, backgroundFacts, memory.embedder.dimensions],
      )
    }
  }
  await pool.query('analyze facts')
  return {
    memory,
    userIds,
    prefix,
    async close() {
      const { Queue } = await import('bullmq')
      const queue = new Queue(queueName, { connection: { url: redisUrl } })
      await queue.obliterate({ force: true })
      await queue.close()
      await memory.close()
    },
  }
}
