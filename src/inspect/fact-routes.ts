import { Hono } from 'hono'
import type { FactStatus } from '../db/schema.js'
import type { ExplainedSource } from '../facts/explain.js'
import type { Fact } from '../facts/fact.js'
import { FactStatusSchema } from '../facts/fact-input.js'
import { requestScope, type InspectorDeps } from './inspector-deps.js'

/** Most facts a list returns before the text filter; the page says when it was cut. */
const MAX_FACTS = 1_000
/** Longest supersession chain the timeline draws (its links each cost one `explain`). */
const MAX_TIMELINE = 20

const FACT_STATUSES = FactStatusSchema.options
const isStatus = (s: string): s is FactStatus => (FACT_STATUSES as readonly string[]).includes(s)

/** A user's facts, one fact's provenance and supersession timeline, and forgetting a fact. */
export function factRoutes(deps: InspectorDeps): Hono {
  const { memory } = deps
  const app = new Hono()

  app.get('/users/:userId/facts', async (c) => {
    const scope = requestScope(c, deps)
    const status = c.req.query('status') || 'active'
    const kind = c.req.query('kind') || undefined
    const text = (c.req.query('q') ?? '').trim().toLowerCase()
    const statuses = status === 'all' ? [...FACT_STATUSES] : isStatus(status) ? [status] : []
    if (statuses.length === 0) return c.json({ error: { code: 'invalid_argument', message: `unknown status ${JSON.stringify(status)}` } }, 400)
    const listed = await memory.facts.list({ ...scope, status: statuses, limit: MAX_FACTS, ...(kind ? { kind } : {}) })
    const facts = text ? listed.filter((f) => f.content.toLowerCase().includes(text) || (f.key ?? '').includes(text)) : listed
    return c.json({ facts, truncated: listed.length === MAX_FACTS })
  })

  app.get('/users/:userId/facts/:factId', async (c) => {
    const scope = requestScope(c, deps)
    const why = await memory.explain(c.req.param('factId'), scope)
    // Oldest belief first: what it replaced (nearest first, so reversed), itself, then its successors.
    const chain = [...why.replaced].reverse().concat(why.fact, why.replacedBy).slice(0, MAX_TIMELINE)
    const timeline = await Promise.all(
      chain.map(async (fact) => ({
        fact,
        sources: fact.id === why.fact.id ? why.sources : (await memory.explain(fact.id, scope)).sources,
      })),
    )
    return c.json({ ...why, sources: why.sources.map(sourceView), timeline: timeline.map(timelineEntry) })
  })

  app.delete('/users/:userId/facts/:factId', async (c) => {
    const scope = requestScope(c, deps)
    // The library's forget: the fact and the facts it replaced (its earlier versions), as the page's confirmation says.
    const fact = await memory.forget(c.req.param('factId'), { ...scope, reason: 'forgotten from factline inspect' })
    return c.json({ fact })
  })

  return app
}

/** The stored item stays out of the page: role and text say what it was, and are all it renders. */
function sourceView(source: ExplainedSource) {
  return { sessionId: source.sessionId, messageId: source.messageId, createdAt: source.createdAt, role: source.role, text: source.text }
}

function timelineEntry(entry: { fact: Fact; sources: ExplainedSource[] }) {
  const { fact } = entry
  return {
    id: fact.id,
    content: fact.content,
    status: fact.status,
    validFrom: fact.validFrom,
    validTo: fact.validTo,
    // The message that brought this belief in: its oldest source.
    cause: entry.sources[0] ? sourceView(entry.sources[0]) : null,
  }
}
