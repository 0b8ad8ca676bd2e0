import { Agent, setTracingDisabled } from '@openai/agents'
import { assistantMessage, ScriptedModel } from '@openai/agents/testing'
import { createMemory, type Memory } from '../memory.js'
import { serveUntilSignal, type parseInspectFlags } from './inspect-command.js'
import { toTerminal } from './terminal-text.js'

/** Lines a scripted assistant says, so the demo needs no model and no network. */
const REPLIES = ['Nice to meet you, Ada!', 'Noted.', 'Got it: Lisbon it is.', 'You deploy to Hetzner, from Lisbon now.']

/** The demo's user. */
export const DEMO_USER_ID = 'ada'

/**
 * The offline demo behind `factline demo` and `npm run demo`: two sessions of one user on embedded
 * PGlite with the rule extractor and hashing embedder, then cross-session recall and a provenance
 * trace. Writes to `write` so tests can read it. With `inspect`, it then serves the inspector on
 * the demo's data until Ctrl+C (`npm run demo -- --inspect`).
 */
export async function runDemo(
  write: (line: string) => void = (l) => process.stdout.write(`${toTerminal(l)}\n`),
  inspect?: ReturnType<typeof parseInspectFlags>,
): Promise<void> {
  setTracingDisabled(true) // offline: nowhere to send traces
  const memory = await createMemory({ database: { dataDir: 'memory://' }, queue: false, openai: false, env: false })
  try {
    await playDemo(memory, write)
    if (inspect) {
      write('')
      write(`Inspect what the agent remembers about "${DEMO_USER_ID}" (the demo's data lives in memory until you stop it):`)
      await serveUntilSignal(memory, inspect, write)
    }
  } finally {
    await memory.close()
  }
}

/** The demo's conversation and its printout, on a memory of the caller's (the browser tests seed with it). */
export async function playDemo(memory: Memory, write: (line: string) => void): Promise<void> {
  const model = new ScriptedModel(REPLIES.map((text) => [assistantMessage(text)]))
  const agent = new Agent({ name: 'Assistant', instructions: 'You are a helpful assistant.', model })
  const userId = DEMO_USER_ID
  const say = async (sessionId: string, text: string) => {
    const session = memory.session(sessionId, { userId })
    const result = await memory.run(agent, text, { session })
    write(`  user:      ${text}`)
    write(`  assistant: ${String(result.finalOutput)}`)
  }

  write('factline demo: embedded PGlite, offline NLP extractor and hashing embedder (no network, no services)')
  write('')
  write('Session "monday" (user ada):')
  await say('monday', "Hi, I'm Ada. I live in Berlin and I work at Acme.")
  await say('monday', 'We deploy to Hetzner, and I prefer TypeScript over Python.')
  await memory.flush()

  write('')
  write('Facts extracted after the turns (in process; with REDIS_URL a worker does this):')
  const extracted = await memory.facts.list({ userId })
  // One transaction wrote them all, so sort for a stable listing.
  for (const fact of extracted.sort((a, b) => a.content.localeCompare(b.content))) {
    write(`  - ${fact.content}${fact.key ? `  [${fact.key}]` : ''}`)
  }

  write('')
  write('Session "friday" (a new conversation, same user):')
  await say('friday', 'Actually, I moved to Lisbon last month.')
  await memory.flush()
  await say('friday', 'Where do we deploy again?')
  const instructions = model.lastCall?.request.systemInstructions ?? ''
  write('')
  write('Instructions the model received for that last turn:')
  for (const line of instructions.split('\n')) write(`  | ${line}`)

  write('')
  const [deploy] = await memory.recall({ userId, query: 'where do we deploy' })
  if (deploy) {
    write(`Why does the agent believe "${deploy.content}"?`)
    const why = await memory.explain(deploy.id, { userId })
    for (const source of why.sources) {
      write(`  said in session "${source.sessionId}", message #${source.messageId} (${source.role}): "${source.text}"`)
    }
    for (const event of why.events) write(`  ${event.type} by ${event.extractor ?? 'api'}${event.reason ? ` (${event.reason})` : ''}`)
  }

  const home = (await memory.facts.list({ userId })).find((fact) => fact.key === 'home_location')
  if (home) {
    const why = await memory.explain(home.id, { userId })
    write('')
    write(`Current belief "${home.content}" replaced:`)
    for (const old of why.replaced) write(`  - "${old.content}" (valid until ${old.validTo?.toISOString() ?? '?'})`)
    for (const source of why.sources) write(`  because of message #${source.messageId} in "${source.sessionId}": "${source.text}"`)
  }
}
