import { createMemory } from '../src/memory.js'
import { loadDataset } from './dataset.js'
import { DEFAULT_DATASET_PATH } from './validate-dataset.js'
const dataset = await loadDataset(DEFAULT_DATASET_PATH)
const memory = await createMemory({ database: { dataDir: 'memory://' }, queue: false })
const messageIds = new Map<string, number>(); const textOf = new Map<number, string>()
for (const c of dataset.conversations) for (const s of c.sessions) {
  const start = new Date(s.at).getTime()
  const items = s.turns.map((t, i) => ({ ...(t.role === 'user' ? { role: 'user', content: t.text } : { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: t.text }] }), at: new Date(start + i * 1000) }))
  const r = await memory.importTranscript({ sessionId: `${c.id}-${s.id}`, userId: c.userId, items: items as any })
  s.turns.forEach((t, i) => { messageIds.set(t.id, r.messageIds[i]!); textOf.set(r.messageIds[i]!, t.text) })
}
await memory.flush({ timeoutMs: 600000 })
let n = 0
for (const c of dataset.conversations) for (const q of c.questions) {
  if (!q.evidence.length) continue
  const ev = new Set(q.evidence.map((t) => messageIds.get(t)))
  const f = await memory.search({ userId: c.userId, query: q.question, k: 5, types: ['fact', 'excerpt'] })
  const e = await memory.search({ userId: c.userId, query: q.question, k: 5, types: ['excerpt'] })
  const hit = (hs: typeof f) => hs.some((h) => h.sources.some((s) => ev.has(s.messageId)))
  if (hit(f) || !hit(e)) continue
  if (++n > 8) continue
  console.log(`\n### ${q.id} [${q.category}] ${q.question}`)
  for (const t of q.evidence) console.log(`  EVIDENCE: ${textOf.get(messageIds.get(t)!)?.slice(0, 120)}`)
  for (const h of f) console.log(`  ${h.type} ${h.score.toFixed(3)} ${h.text.slice(0, 90)} <= ${h.sources.map((s) => textOf.get(s.messageId)?.slice(0, 50)).join(' | ')}`)
}
console.log('count', n)
await memory.close()
