import { Hono } from 'hono'
import { z } from 'zod'
import { sanitizeForBlock } from '../context/context-block.js'
import { queryText } from '../context/memory-context.js'
import { parseOrThrow } from '../errors.js'
import type { RecalledFact } from '../recall/recall.js'
import type { SearchHit } from '../recall/search.js'
import { requestScope, type InspectorDeps } from './inspector-deps.js'

const PlaygroundInputSchema = z.strictObject({ input: z.string().max(10_000) })
/** Hits looked at past the run's rank cut, to show what just missed it. */
const BELOW_CUT = 10

/** One recalled item as the playground lists it, with the parts of its score and its fate. */
export interface PlaygroundItem {
  type: 'fact' | 'excerpt'
  id: string
  text: string
  /** Rank in the search (1 = best). */
  rank: number
  /** The fused score the block is ordered by (vector rank + text rank, × recency). */
  score: number
  /** Cosine similarity to the input (facts only; null when not a vector candidate). */
  similarity: number | null
  /** Whether the fact matched the input's words in full-text search (facts only). */
  textMatch: boolean | null
  /** Days between the item's time and now: what the recency factor weighs. */
  ageDays: number
  sessionId: string | null
  messageId: number | null
  inBlock: boolean
  /** Why it is not in the block; null when it is. */
  leftOut: string | null
}

/**
 * The recall playground: runs `memory.context` for an input exactly as a run would (no session,
 * so no recent turns and no excluded session) and returns its block verbatim, then explains each
 * item: its score parts, and for those left out, whether the rank cut or the token budget did it.
 */
export function recallPlayground(deps: InspectorDeps): Hono {
  const { memory, settings } = deps
  const app = new Hono()
  // A GET, so a read-only inspector runs it too: recall reads and never writes.
  app.get('/users/:userId/recall', async (c) => {
    const scope = requestScope(c, deps)
    const { input } = parseOrThrow(PlaygroundInputSchema, { input: c.req.query('input') ?? '' }, 'invalid_argument', 'Invalid playground input')
    const context = await memory.context({ ...scope, input })
    const query = queryText(input, [])
    const [hits, recalled] = query
      ? await Promise.all([
          memory.search({ ...scope, query, k: Math.min(100, settings.k + BELOW_CUT) }),
          memory.recall({ ...scope, query, k: 100, minScore: -1 }),
        ])
      : [[], []]
    const parts = new Map(recalled.map((f) => [f.id, f]))
    const items = hits.map((hit, index) => playgroundItem(hit, index + 1, context.block, parts.get(hit.id), settings))
    return c.json({ query, block: context.block, items, settings: { k: settings.k, maxTokens: settings.maxTokens, excerptShare: settings.excerptShare } })
  })
  return app
}

function playgroundItem(
  hit: SearchHit,
  rank: number,
  block: string,
  recalled: RecalledFact | undefined,
  settings: InspectorDeps['settings'],
): PlaygroundItem {
  const inBlock =
    hit.type === 'fact' ? block.includes(`[${sanitizeForBlock(hit.id)} ·`) : block.includes(`"${sanitizeForBlock(hit.text)}"`)
  const leftOut = inBlock
    ? null
    : rank > settings.k
      ? `below the rank cut: a run searches ${settings.k} hits (context.k)`
      : `over the token budget: the block holds at most ${settings.maxTokens} tokens, ${Math.round(settings.excerptShare * 100)}% kept for excerpts when there are any (context.maxTokens, context.excerptShare)`
  return {
    type: hit.type,
    id: hit.id,
    text: hit.text,
    rank,
    score: hit.score,
    similarity: hit.type === 'fact' ? (recalled?.similarity ?? null) : null,
    textMatch: hit.type === 'fact' ? (recalled?.textMatch ?? false) : null,
    ageDays: Math.max(0, (Date.now() - hit.at.getTime()) / 86_400_000),
    sessionId: hit.sessionId ?? hit.sources[0]?.sessionId ?? null,
    messageId: hit.messageId ?? hit.sources[0]?.messageId ?? null,
    inBlock,
    leftOut,
  }
}
