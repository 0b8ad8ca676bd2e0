import { randomUUID } from 'node:crypto'
import type { AgentInputItem } from '@openai/agents'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Database } from '../../../src/db/schema.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { BACKENDS, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'

/** Column types that can hold text; whatever a new migration adds of these is scanned too. */
const TEXT_TYPES = ['text', 'character varying', 'character', 'json', 'jsonb', 'tsvector', 'ARRAY']

interface TextColumn {
  table: string
  column: string
}

/** Every text-bearing column of every table in the database's schema, from information_schema. */
async function textColumns(db: Kysely<Database>): Promise<TextColumn[]> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE' and c.data_type in (${sql.join(TEXT_TYPES)})
    order by c.table_name, c.column_name`.execute(db)
  return rows.map((r) => ({ table: r.table_name, column: r.column_name }))
}

/** `table.column` for each column holding `needle` in any row (case-insensitive, as text). */
async function hits(db: Kysely<Database>, columns: readonly TextColumn[], needle: string): Promise<string[]> {
  const found: string[] = []
  for (const { table, column } of columns) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.id(table)} where strpos(lower(${sql.id(column)}::text), lower(${needle})) > 0`.execute(db)
    if ((rows[0]?.n ?? 0) > 0) found.push(`${table}.${column}`)
  }
  return found
}

function openMemory(backend: Backend): Promise<Memory> {
  return backend === 'postgres'
    ? createMemory({ database: { url: inject('databaseUrl') }, queue: false, env: false })
    : createMemory({ database: { dataDir: 'memory://' }, env: false })
}

describe.each(BACKENDS)('forgetUser on %s', (backend) => {
  let memory: Memory
  beforeAll(async () => {
    memory = await openMemory(backend)
  })
  afterAll(async () => {
    await memory.close()
  })

  it('leaves no row in any table naming the user or holding their words', async () => {
    const userId = uniqueId('erase-user')
    // A word of the transcript that appears nowhere else: in messages, excerpts, facts, events.
    const marker = `zq${randomUUID().replaceAll('-', '').slice(0, 12)}`
    const chat = memory.session(`chat-${randomUUID()}`, { userId })
    const support = memory.session(`chat-${randomUUID()}`, { userId, namespace: 'support' })
    await chat.addItems([
      { role: 'user', content: `I live in Berlin. I work at ${marker} Labs. My code word is ${marker}.` },
      { role: 'assistant', content: [{ type: 'output_text', text: `Noted, ${marker}.` }] },
    ] as AgentInputItem[])
    await support.addItems([{ role: 'user', content: `My ticket is about ${marker} billing. I prefer email.` }] as AgentInputItem[])
    await memory.flush()
    // Every write path that keeps text: a fact added by hand with a reason, superseded, updated and forgotten.
    const [message] = await memory.db.db.selectFrom('agent_messages').select('id').where('session_id', '=', await chat.getSessionId()).execute()
    const sources = [{ sessionId: await chat.getSessionId(), messageId: Number(message!.id) }]
    const added = await memory.facts.add({ userId, content: `Codename ${marker}`, sources, reason: `user said ${marker}`, meta: { jobId: `job-${marker}` } })
    const { current } = await memory.facts.supersede({ userId, id: added.id, fact: { content: `Codename ${marker} 2`, sources } })
    await memory.facts.update({ userId, id: current.id, content: `Codename ${marker} 3` })
    const other = await memory.facts.add({ userId, content: `Likes ${marker} tea`, sources })
    expect(await memory.forget(other.id, { userId, reason: `asked to forget ${marker}` })).toMatchObject({ status: 'forgotten', content: '' })
    await chat.popItem()

    const db = memory.db.db
    const columns = await textColumns(db)
    const tables = new Set(columns.map((c) => c.table))
    for (const table of ['agent_sessions', 'agent_messages', 'facts', 'fact_sources', 'fact_events', 'transcript_excerpts']) {
      expect(tables, `${table} is scanned`).toContain(table)
    }
    // The scan finds them before erasure, so zero hits after it mean something.
    const before = await hits(db, columns, marker)
    expect(before).toEqual(expect.arrayContaining(['agent_messages.message_data', 'facts.content', 'fact_events.after', 'fact_events.reason', 'transcript_excerpts.text']))
    expect(await hits(db, columns, userId)).toEqual(expect.arrayContaining(['agent_sessions.user_id', 'facts.user_id', 'fact_events.user_id']))

    await memory.forgetUser(userId)

    expect(await hits(db, columns, marker)).toEqual([])
    expect(await hits(db, columns, userId)).toEqual([])
    for (const sessionId of [await chat.getSessionId(), await support.getSessionId()]) {
      expect(await hits(db, columns, sessionId), sessionId).toEqual([])
    }
  })
})
