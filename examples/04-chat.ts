// An interactive agent with real memory: talk, quit, come back later, and it remembers you.
// Run: OPENAI_API_KEY=sk-… npx tsx examples/04-chat.ts [user-id]   (data kept in .factline/pglite)
import { createInterface } from 'node:readline/promises'
import { Agent } from '@openai/agents'
import { createMemory } from 'factline'

if (!process.env.OPENAI_API_KEY) {
  console.log('This example talks to a real model: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server).')
  console.log('For an offline tour, run `npm run demo`.')
  process.exit(0)
}

const userId = process.argv[2] ?? 'me'
const memory = await createMemory() // DATABASE_URL / REDIS_URL when set; else embedded in .factline/pglite
const agent = new Agent({ name: 'Assistant', instructions: 'You are a friendly assistant. Be concise.', model: 'gpt-4.1-mini' })
const session = memory.session(`chat-${userId}-${new Date().toISOString().slice(0, 10)}`, { userId })
const rl = createInterface({ input: process.stdin, output: process.stdout })

console.log(`Chatting as "${userId}". Commands: /facts, /why <fact id>, /quit`)
for (;;) {
  const line = (await rl.question('you> ')).trim()
  if (!line) continue
  if (line === '/quit') break
  if (line === '/facts') {
    for (const fact of await memory.facts.list({ userId })) console.log(`  ${fact.id}  ${fact.content}`)
    continue
  }
  if (line.startsWith('/why ')) {
    const why = await memory.explain(line.slice(5).trim(), { userId }).catch((e: Error) => e)
    if (why instanceof Error) console.log(`  ${why.message}`)
    else for (const s of why.sources) console.log(`  said in ${s.sessionId} at ${s.createdAt.toISOString()}: "${s.text}"`)
    continue
  }
  const result = await memory.run(agent, line, { session })
  console.log(`assistant> ${String(result.finalOutput)}`)
}
rl.close()
await memory.flush().catch(() => {}) // let extraction of the last turn finish before exiting
await memory.close()
