import type { FactlineDb } from '../../src/db/create-db.js'

/** The session's extraction watermark: the newest message id the extractor has processed. */
export async function watermark(handle: FactlineDb, sessionId: string): Promise<number> {
  const row = await handle.db
    .selectFrom('agent_sessions')
    .select('extracted_through')
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow()
  return Number(row.extracted_through)
}

/** The id of the session's newest stored message. */
export async function newestMessageId(handle: FactlineDb, sessionId: string): Promise<number> {
  const row = await handle.db
    .selectFrom('agent_messages')
    .select((eb) => eb.fn.max('id').as('id'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow()
  return Number(row.id)
}
