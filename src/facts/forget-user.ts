import { sql } from 'kysely'
import type { FactlineDb } from '../db/create-db.js'
import { userTransaction, withUserScope } from '../db/user-scope.js'
import { assertUserId } from '../scope.js'
import { countUserMessages } from '../session/messages-table.js'
import { deleteUserSessions } from '../session/sessions-table.js'

/** How many rows `forgetUser` removed. */
export interface ForgetUserResult {
  sessions: number
  messages: number
  facts: number
  events: number
}

/**
 * Erases everything stored about a user, across all namespaces, in one transaction: their
 * sessions with every message, their facts with their sources, and all fact events. This is the
 * one fact query that is deliberately not confined to a namespace.
 * @throws FactlineError `empty_id` when `userId` is blank, `invalid_argument` when it is not a string.
 * @example
 * ```ts
 * const removed = await forgetUser(handle, 'u1') // { sessions: 2, messages: 40, facts: 7, events: 19 }
 * ```
 */
export async function forgetUser(handle: FactlineDb, userId: string): Promise<ForgetUserResult> {
  assertUserId(userId)
  return userTransaction(handle, userId, async (trx) => {
    const count = sql<number>`count(*)`.as('n')
    const messages = await countUserMessages(trx, userId)
    // Facts go first: their sources and events cascade with them, so deleting the sessions
    // afterwards finds no source whose loss the provenance trigger would log.
    const events = await trx.selectFrom('fact_events').select(count).where('fact_events.user_id', '=', userId).executeTakeFirstOrThrow()
    const facts = await trx.deleteFrom('facts').where('facts.user_id', '=', userId).executeTakeFirst()
    const sessions = await deleteUserSessions(trx, userId)
    await trx.deleteFrom('fact_events').where('fact_events.user_id', '=', userId).execute()
    return {
      sessions,
      messages,
      facts: Number(facts.numDeletedRows),
      events: events.n,
    }
  })
}

/**
 * The ids of a user's sessions, in every namespace: read before `forgetUser` deletes them, so the
 * extraction queue can drop their jobs too.
 */
export async function listUserSessionIds(handle: FactlineDb, userId: string): Promise<string[]> {
  const rows = await withUserScope(handle, userId, (db) =>
    db.selectFrom('agent_sessions').select('session_id').where('user_id', '=', userId).execute(),
  )
  return rows.map((r) => r.session_id)
}
