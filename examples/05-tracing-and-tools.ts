// Memory in the Agents SDK's own views: the recall span in a run's trace, and memory tools the agent calls, with approval.
// Run: npx tsx examples/05-tracing-and-tools.ts   (offline: a local trace processor takes the place of the OpenAI exporter)
import { Agent, setTraceProcessors, setTracingDisabled, type Span, type TracingProcessor } from '@openai/agents'
import { ScriptedModel, assistantMessage, functionCall } from '@openai/agents/testing'
import { createMemory } from 'factline'

// Keep the spans here instead of sending them to the OpenAI traces dashboard.
const spans: Span<any>[] = []
const keepSpans: TracingProcessor = {
  onTraceStart: async () => {},
  onTraceEnd: async () => {},
  onSpanStart: async (span) => void spans.push(span),
  onSpanEnd: async () => {},
  shutdown: async () => {},
  forceFlush: async () => {},
}
setTraceProcessors([keepSpans])
setTracingDisabled(false)

const memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })
await memory.session('monday', { userId: 'ada' }).addItems([
  { role: 'user', content: 'We deploy to Hetzner.' },
  { role: 'user', content: 'I live in Lisbon.' },
])
await memory.flush()
const [home] = await memory.recall({ userId: 'ada', query: 'where do I live' })

// The user is fixed here: no tool argument can name another one.
const tools = memory.tools({ userId: 'ada', forget: true })
const model = new ScriptedModel([
  [functionCall('search_memory', { query: 'deploy target' }, { callId: 'call-1' })],
  [assistantMessage('You deploy to Hetzner.')],
  [functionCall('forget_memory', { id: home!.id }, { callId: 'call-2' })],
  [assistantMessage('Done: I no longer remember where you live.')],
])
const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model, tools })
const session = memory.session('friday', { userId: 'ada' })

// 1. A traced run: recall at run start, then the agent searches its memory itself.
await memory.run(agent, 'Where do we deploy?', { session })
console.log(renderTrace(spans))

// 2. forget_memory waits for a person to approve it; the run resumes from its state.
spans.length = 0
const paused = await memory.run(agent, 'Please forget where I live.', { session })
const request = paused.interruptions[0]!
console.log(`\napproval requested: ${request.name}(${request.arguments})`)
paused.state.approve(request)
const resumed = await memory.run(agent, paused.state, { session })
const after = await memory.facts.get({ userId: 'ada', id: home!.id })
console.log(`${resumed.finalOutput}\nfact ${after.id} is now ${after.status}`)
await memory.close()

/** One trace as an indented tree, the recall span with what it injected and where that came from. */
function renderTrace(all: Span<any>[]): string {
  const children = (parentId: string | null) => all.filter((s) => s.parentId === parentId)
  const lines = [`trace ${all[0]?.traceId}`]
  const walk = (span: Span<any>, depth: number) => {
    lines.push(`${'  '.repeat(depth)}└ ${label(span)}`)
    for (const child of children(span.spanId)) walk(child, depth + 1)
  }
  for (const root of children(null)) walk(root, 1)
  return lines.join('\n')
}

function label(span: Span<any>): string {
  const d = span.spanData
  if (d.type !== 'custom' || d.name !== 'factline.recall') {
    return `${d.type}${d.name ? ` ${d.name}` : ''}${d.turn !== undefined ? ` ${d.turn}` : ''}`
  }
  const items = (d.data.injected as Array<Record<string, any>>).map((i) => {
    const from = i.sources.map((s: Record<string, any>) => `${s.sessionId}#${s.messageId}`).join(', ')
    return `\n${' '.repeat(8)}${i.type} ${i.id} score ${i.score} ← ${from}`
  })
  return `factline.recall (${d.data.injected.length} injected, ${d.data.leftOutByBudget.length} left out, ${d.data.blockTokens} tokens)${items.join('')}`
}
