import type { AgentInputItem } from '@openai/agents'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { openBackend, type Backend } from '../../helpers/databases.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeEachSetup } from '../../helpers/services.js'

describeEachSetup<Backend>(['pglite', 'postgres'])('int8 columns on %s', (backend) => {
  let handle: FactlineDb

  beforeAll(async () => {
    handle = await openBackend(backend)
  })
  afterAll(async () => {
    await handle.close()
  })

  it('come back as numbers from the query builder and from raw sql, whichever driver answered', async () => {
    const sessionId = uniqueId('s')
    await new PostgresSession({ sessionId, userId: 'u', db: handle }).addItems([{ role: 'user', content: 'x' } as AgentInputItem])
    const { db } = handle
    const message = await db.selectFrom('agent_messages').select('id').where('session_id', '=', sessionId).executeTakeFirstOrThrow()
    const session = await db.selectFrom('agent_sessions').select('extracted_through').where('session_id', '=', sessionId).executeTakeFirstOrThrow()
    const count = await db.selectFrom('agent_messages').select(sql<number>`count(*)`.as('n')).where('session_id', '=', sessionId).executeTakeFirstOrThrow()
    const raw = (await sql<{ id: unknown; first_id: unknown }>`select id, id as first_id from agent_messages where session_id = ${sessionId}`.execute(db)).rows[0]
    expect(typeof message.id).toBe('number')
    expect(session.extracted_through).toBe(0)
    expect(count.n).toBe(1)
    expect(raw).toEqual({ id: message.id, first_id: message.id })
  })

  it('leave a uuid called id alone', async () => {
    const row = (await sql<{ id: unknown }>`select gen_random_uuid() as id`.execute(handle.db)).rows[0]!
    expect(row.id).toMatch(/^[0-9a-f-]{36}$/)
  })
})
