import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** A session whose extraction watermark lags its newest message. */
export interface LaggingSession {
  sessionId: string
  /** Id of the session's newest message. */
  newestMessageId: number
}

/**
 * The extraction watermark (`extracted_through`) of each given session that still exists.
 * A session deleted meanwhile (forgetUser, plain SQL) is absent from the map.
 */
export async function readWatermarks(db: Kysely<Database>, sessionIds: readonly string[]): Promise<Map<string, number>> {
  if (sessionIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('agent_sessions')
    .select(['session_id', 'extracted_through'])
    .where('session_id', 'in', [...sessionIds])
    .execute()
  return new Map(rows.map((r) => [r.session_id, Number(r.extracted_through)]))
}

/**
 * One page of sessions with a user whose watermark lags their newest message, ordered by session
 * id after `after`: what the sweep re-enqueues. Sessions without a user have nothing to extract.
 */
export async function findLaggingSessions(
  db: Kysely<Database>,
  page: { after: string; limit: number; userId?: string | undefined },
): Promise<LaggingSession[]> {
  let query = db
    .selectFrom('agent_sessions as s')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('agent_messages as m')
          .select(sql<string | number | null>`max(m.id)`.as('newest'))
          .whereRef('m.session_id', '=', 's.session_id')
          .as('latest'),
      (join) => join.onTrue(),
    )
    .select(['s.session_id', 'latest.newest'])
    .where('s.user_id', 'is not', null)
    .where('s.session_id', '>', page.after)
    .where(sql<boolean>`latest.newest > s.extracted_through`)
    .orderBy('s.session_id')
    .limit(page.limit)
  if (page.userId !== undefined) query = query.where('s.user_id', '=', page.userId)
  const rows = await query.execute()
  return rows.map((r) => ({ sessionId: r.session_id, newestMessageId: Number(r.newest) }))
}
