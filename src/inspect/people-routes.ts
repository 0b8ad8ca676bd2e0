import { Hono } from 'hono'
import { countUserFacts, listFactsCitingMessages, listFactUsers } from '../facts/fact-repository.js'
import { itemText } from '../session/item-text.js'
import { countUserMessages, readOwnedMessages } from '../session/messages-table.js'
import { countUserSessions, listOwnedSessions, listSessionUsers } from '../session/sessions-table.js'
import { limitParam, notFound, requestScope, type InspectorDeps } from './inspector-deps.js'

/** Most messages one transcript view returns. */
const MAX_MESSAGES = 2_000

/** Users and namespaces, a user's sessions and transcripts, and forgetting a user. */
export function peopleRoutes(deps: InspectorDeps): Hono {
  const { db } = deps.memory.db
  const app = new Hono()

  app.get('/users', async (c) => {
    const search = c.req.query('q')?.slice(0, 200) || undefined
    const limit = limitParam(c, 'limit', 200, 1_000)
    const [sessionUsers, factUsers] = await Promise.all([listSessionUsers(db, { search, limit }), listFactUsers(db, { search, limit })])
    const byKey = new Map<string, { userId: string; namespace: string; sessions: number; facts: number; lastActive: Date | null }>()
    const key = (u: { userId: string; namespace: string }) => JSON.stringify([u.userId, u.namespace])
    for (const u of sessionUsers) byKey.set(key(u), { ...u, facts: 0 })
    for (const u of factUsers) {
      const entry = byKey.get(key(u))
      if (entry) entry.facts = u.facts
      else byKey.set(key(u), { ...u, sessions: 0, lastActive: null })
    }
    return c.json({ users: [...byKey.values()].slice(0, limit) })
  })

  app.get('/users/:userId/sessions', async (c) => {
    const scope = requestScope(c, deps)
    return c.json({ sessions: await listOwnedSessions(db, scope, { limit: limitParam(c, 'limit', 200, 1_000) }) })
  })

  app.get('/users/:userId/sessions/:sessionId', async (c) => {
    const scope = requestScope(c, deps)
    const sessionId = c.req.param('sessionId')
    const messages = await readOwnedMessages(db, { ...scope, sessionId }, MAX_MESSAGES)
    if (!messages) throw notFound('session', sessionId)
    const citing = await listFactsCitingMessages(db, scope, messages.map((m) => m.id))
    return c.json({
      sessionId,
      truncated: messages.length === MAX_MESSAGES,
      messages: messages.map((m) => {
        const { role, text } = itemText(m.item)
        return {
          id: m.id,
          createdAt: m.createdAt,
          role,
          text,
          citedBy: citing.filter((f) => f.messageId === m.id).map(({ factId, content, status }) => ({ factId, content, status })),
        }
      }),
    })
  })

  // What forgetting the user deletes, in every namespace, shown before the confirmation.
  app.get('/users/:userId/forget-preview', async (c) => {
    const { userId } = requestScope(c, deps)
    const [sessions, messages, facts] = await Promise.all([
      countUserSessions(db, userId),
      countUserMessages(db, userId),
      countUserFacts(db, userId),
    ])
    if (sessions === 0 && facts.facts === 0) throw notFound('user', userId)
    return c.json({ userId, sessions, messages: Number(messages), ...facts })
  })

  app.delete('/users/:userId', async (c) => {
    const { userId } = requestScope(c, deps)
    if ((await countUserSessions(db, userId)) === 0 && (await countUserFacts(db, userId)).facts === 0) throw notFound('user', userId)
    return c.json({ removed: await deps.memory.forgetUser(userId) })
  })

  return app
}
