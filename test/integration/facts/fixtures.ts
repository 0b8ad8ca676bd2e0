import type { AgentInputItem } from '@openai/agents'
import type { FactlineDb } from '../../../src/db/create-db.js'
import type { FactSourceRef } from '../../../src/facts/fact.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { uniqueId } from '../../helpers/test-env.js'

/** The shared hashing embedder, under the name these suites use. */
export { testEmbedder as embedder } from '../../helpers/suite-fixtures.js'

export function userMessage(text: string): AgentInputItem {
  return { role: 'user', content: text } as AgentInputItem
}

/** A session of `userId` holding one user message per text, and a source ref for each message. */
export async function seedSession(
  handle: FactlineDb,
  userId: string,
  texts: string[],
  namespace = 'default',
): Promise<{ session: PostgresSession; sources: FactSourceRef[] }> {
  const sessionId = uniqueId('session')
  const session = new PostgresSession({ sessionId, userId, namespace, db: handle })
  await session.addItems(texts.map(userMessage))
  const rows = await handle.db
    .selectFrom('agent_messages')
    .select('id')
    .where('session_id', '=', sessionId)
    .orderBy('id')
    .execute()
  return { session, sources: rows.map((r) => ({ sessionId, messageId: Number(r.id) })) }
}

export function at<T>(values: readonly T[], index: number): T {
  const value = values[index]
  if (value === undefined) throw new Error(`no element at ${index}`)
  return value
}
