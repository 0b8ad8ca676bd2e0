import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import type { FactSourceRef } from '../../src/facts/fact.js'

/** The facts' current sources, oldest link first, for assertions; the fact ids must come from a scoped read. */
export async function listFactSources(
  db: Kysely<Database>,
  factIds: readonly string[],
): Promise<Array<FactSourceRef & { factId: string; createdAt: Date }>> {
  if (factIds.length === 0) return []
  const rows = await db
    .selectFrom('fact_sources')
    .innerJoin('agent_messages', 'agent_messages.id', 'fact_sources.message_id')
    .select(['fact_sources.fact_id', 'fact_sources.session_id', 'fact_sources.message_id', 'agent_messages.created_at'])
    .where('fact_sources.fact_id', 'in', [...factIds])
    .orderBy('fact_sources.message_id')
    .execute()
  return rows.map((r) => ({
    factId: r.fact_id,
    sessionId: r.session_id,
    messageId: Number(r.message_id),
    createdAt: new Date(r.created_at),
  }))
}
