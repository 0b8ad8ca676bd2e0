import { run } from '@openai/agents'
import pg from 'pg'
import { createDb } from '../src/db/create-db.js'
import { PostgresSession } from '../src/session/postgres-session.js'
import { historyItems, memoryFixture, RUN_INPUT, scriptedAgent } from './lib/agent-fixture.js'
import type { BenchContext } from './lib/context.js'
import { countQueries } from './lib/scratch-db.js'
import { ms, percentile, table } from './lib/stats.js'

type Kind = 'history read' | 'transcript write' | 'recall' | 'transaction control' | 'other'

function classify(statement: string): Kind {
  const s = statement.toLowerCase()
  if (/^(begin|commit|rollback|savepoint|release)\b/.test(s)) return 'transaction control'
  if (s.includes('"facts"') || s.includes('"fact_sources"')) return 'recall'
  if (s.startsWith('select') && s.includes('"agent_messages"')) return 'history read'
  if (s.includes('"agent_messages"') || s.includes('"agent_sessions"')) return 'transcript write'
  return 'other'
}

const TARGET: Record<Kind, number> = { 'history read': 1, 'transcript write': 1, recall: 1, 'transaction control': 0, other: 0 }
const KINDS = Object.keys(TARGET) as Kind[]

/**
 * Counts the statements (each one a round trip) a turn sends, through a pool whose connections
 * report every `query` call. A turn is a run on a session that already has history: the
 * runner's getItems, the memory's recall (memory.run only) and the runner's addItems.
 */
export async function benchRoundTrips(ctx: BenchContext): Promise<string> {
  const pool = new pg.Pool({ connectionString: ctx.url, max: 4 })
  const counter = countQueries(pool)
  const fixture = await memoryFixture(pool, ctx.redisUrl, 1, 100)
  const { memory, userIds, prefix } = fixture
  const handle = await createDb({ pool })
  try {
    const userId = userIds[0]!
    const transcriptOnly = new PostgresSession({ sessionId: `${prefix}-plain`, userId, db: handle })
    await transcriptOnly.addItems(historyItems(20))
    const withMemory = memory.session(`${prefix}-memory`, { userId })
    await withMemory.addItems(historyItems(20))

    const measure = async (turn: () => Promise<unknown>) => {
      await turn() // the first turn warms connections
      counter.reset()
      await turn()
      return [...counter.statements]
    }
    const plain = await measure(() => run(scriptedAgent().agent, RUN_INPUT, { session: transcriptOnly }))
    const mem = await measure(() => memory.run(scriptedAgent().agent, RUN_INPUT, { session: withMemory }))
    const recallOnly = await measure(() => memory.recall({ userId, query: RUN_INPUT }))

    // Where a recall's time goes: each statement's own latency against the wall time of the call.
    const recalls = 50
    const perStatement: number[][] = []
    const wall: number[] = []
    const selectOne: number[] = []
    for (let i = 0; i < recalls; i++) {
      counter.reset()
      const t = performance.now()
      await memory.recall({ userId, query: RUN_INPUT })
      wall.push(performance.now() - t)
      counter.durations.forEach((d, j) => (perStatement[j] ??= []).push(d))
      const f = performance.now()
      await pool.query('select 1')
      selectOne.push(performance.now() - f)
    }
    const recallRows = recallOnly.map((statement, j) => [
      `${j + 1}. \`${statement.slice(0, 60)}…\``,
      ms(percentile(perStatement[j] ?? [], 50)),
    ])
    recallRows.push(['`memory.recall()` wall time', ms(percentile(wall, 50))])
    recallRows.push(['floor: `SELECT 1`', ms(percentile(selectOne, 50))])

    const count = (statements: string[], kind: Kind) => statements.filter((s) => classify(s) === kind).length
    const rows = KINDS.map((kind) => [kind, String(count(plain, kind)), String(count(mem, kind)), String(TARGET[kind])])
    rows.push(['**total**', `**${plain.length}**`, `**${mem.length}**`, '**3**'])
    return (
      'Statements sent to PostgreSQL in one turn (second turn on a session with 20 items; Redis traffic for the extraction ' +
      'job is not counted). Target for a memory turn: one read for history, one write, one recall query.\n\n' +
      table(['kind', '`run` + PostgresSession', '`memory.run`', 'target (memory turn)'], rows) +
      `\n\n\`memory.recall\` alone: ${recallOnly.length} statement${recallOnly.length === 1 ? '' : 's'}. ` +
      `Each statement's p50 over ${recalls} recalls, beside the whole call's, for a user with ` +
      'the facts drawn from two messages plus 100 random-vector facts:\n\n' +
      table(['recall statement', 'p50 ms'], recallRows) +
      '\n\nThe `memory.run` turn, in order:\n\n' +
      mem.map((s, i) => `${i + 1}. ${classify(s)}: \`${s.length > 140 ? `${s.slice(0, 140)}…` : s}\``).join('\n')
    )
  } finally {
    await fixture.close()
    await pool.end()
  }
}
