import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { resolveTableNames } from '../../../src/db/table-names.js'
import { compileOnlyDb } from '../../helpers/dummy-db.js'

const compileWith = compileOnlyDb

describe('TableNamesPlugin', () => {
  it('leaves queries alone with the default names', () => {
    const db = compileWith({})
    expect(db.selectFrom('agent_messages').select('id').compile().sql).toBe('select "id" from "agent_messages"')
  })

  it('renames tables in builder queries, qualified references and raw sql', () => {
    const db = compileWith({ messages: 'chat_messages', sessions: 'chat_sessions' })
    const q = db
      .selectFrom('agent_messages')
      .innerJoin('agent_sessions', 'agent_sessions.session_id', 'agent_messages.session_id')
      .select('agent_messages.id')
      .compile()
    expect(q.sql).toBe(
      'select "chat_messages"."id" from "chat_messages" inner join "chat_sessions" on "chat_sessions"."session_id" = "chat_messages"."session_id"',
    )
    expect(sql`delete from ${sql.table('agent_messages')}`.compile(db).sql).toBe('delete from "chat_messages"')
  })

  it('rejects names that are not plain identifiers', () => {
    expect(() => resolveTableNames({ facts: 'Facts' })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    expect(() => resolveTableNames({ facts: 'x"; drop' })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    expect(() => resolveTableNames({ nope: 'x' } as never)).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })
})
