// Production shape: PostgreSQL + Redis, and extraction in a separate worker process.
// Run: DATABASE_URL=postgres://… REDIS_URL=redis://… npx tsx examples/03-production.ts
//      (docker compose up -d gives you both; the compose file also runs the worker for you)
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Agent, setTracingDisabled } from '@openai/agents'
import { ScriptedModel, assistantMessage } from '@openai/agents/testing'
import { createMemory } from 'factline'

const { DATABASE_URL, REDIS_URL } = process.env
if (!DATABASE_URL || !REDIS_URL) {
  console.log('This example needs DATABASE_URL (PostgreSQL with pgvector) and REDIS_URL. Missing:',
    [!DATABASE_URL && 'DATABASE_URL', !REDIS_URL && 'REDIS_URL'].filter(Boolean).join(', '))
  process.exit(0)
}
setTracingDisabled(true)

// The worker is its own process, as in production (`factline worker`); it reads the same env.
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))
const worker = spawn(process.execPath, [cli, 'worker'], { stdio: ['ignore', 'ignore', 'inherit'], env: process.env })

const memory = await createMemory({ database: { url: DATABASE_URL }, queue: { url: REDIS_URL }, openai: false })
const userId = `prod-example-${Date.now()}`
const model = new ScriptedModel([[assistantMessage('Noted.')]])
const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model })

await memory.run(agent, 'I work at Initech and we deploy to Fly.io.', { session: memory.session(`${userId}-s1`, { userId }) })
await memory.flush({ timeoutMs: 60_000 }) // waits for the worker process to extract the turn

for (const fact of await memory.recall({ userId, query: 'where do we deploy and where do I work' })) {
  console.log(`${fact.score.toFixed(2)}  ${fact.content}  (from message #${fact.sources[0]?.messageId})`)
}
await memory.forgetUser(userId) // the example cleans up after itself
await memory.close()
worker.kill('SIGTERM') // the worker finishes its current job and exits
