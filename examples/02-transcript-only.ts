// The transcript layer alone: a PostgresSession with the real Agents SDK runner, no Redis, no facts.
// Run: npx tsx examples/02-transcript-only.ts   (uses DATABASE_URL when set, else embedded PGlite in memory)
import { Agent, run, setTracingDisabled } from '@openai/agents'
import { ScriptedModel, assistantMessage } from '@openai/agents/testing'
import { PostgresSession } from 'factline'

setTracingDisabled(true) // offline: no trace export

// A scripted model keeps the example offline; swap in a real model name to talk to OpenAI.
const model = new ScriptedModel([
  [assistantMessage('Nice to meet you, Ada.')],
  [assistantMessage('You told me your name is Ada.')],
])
const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model })

const session = new PostgresSession({
  sessionId: `example-${Date.now()}`,
  database: process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: 'memory://' },
  createTables: true,
})

await run(agent, 'Hi, my name is Ada.', { session })
const second = await run(agent, 'What is my name?', { session })
console.log(`assistant: ${String(second.finalOutput)}`)

// The second model call saw the first turn, loaded from the session.
const seen = model.calls[1]?.request.input
console.log(`the model's second request carried ${Array.isArray(seen) ? seen.length : 1} items of history and input`)

console.log('\nstored transcript:')
for (const item of await session.getItems()) {
  const role = 'role' in item ? item.role : item.type
  const content = 'content' in item ? item.content : ''
  const text = typeof content === 'string' ? content : content.map((p) => ('text' in p ? p.text : '')).join('')
  console.log(`  ${role}: ${text}`)
}
await session.close()
