// Cross-session memory in a dozen lines: embedded database, offline extraction, recall, provenance.
// Run: npx tsx examples/01-quickstart.ts   (no network, no services; `npm run demo` is the longer tour)
import { Agent, setTracingDisabled } from '@openai/agents'
import { ScriptedModel, assistantMessage } from '@openai/agents/testing'
import { createMemory } from 'factline'

setTracingDisabled(true)
const memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })
const model = new ScriptedModel([[assistantMessage('Noted!')], [assistantMessage('Hetzner.')]])
const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model })

// Monday: the user mentions where they deploy.
await memory.run(agent, 'We deploy to Hetzner.', { session: memory.session('monday', { userId: 'ada' }) })
await memory.flush() // in-process extraction has caught up

// Friday, a new session: the fact is in the agent's instructions.
await memory.run(agent, 'Where do we deploy?', { session: memory.session('friday', { userId: 'ada' }) })
console.log(model.lastCall?.request.systemInstructions)

// Why does the agent believe it?
const [fact] = await memory.recall({ userId: 'ada', query: 'deploy target' })
const why = await memory.explain(fact!.id, { userId: 'ada' })
console.log(`\n"${fact!.content}" comes from session "${why.sources[0]?.sessionId}": "${why.sources[0]?.text}"`)
await memory.close()
