import type { Context } from 'hono'
import { FactlineError } from '../errors.js'
import type { Logger } from '../logger.js'
import { assertScope, MAX_NAMESPACE_LENGTH, MAX_USER_ID_LENGTH, type Scope } from '../scope.js'
import type { InspectedContextSettings, InspectedMemory, InspectedPipeline } from './inspected-memory.js'

/** What every route of the inspector works with. */
export interface InspectorDeps {
  memory: InspectedMemory
  pipeline: InspectedPipeline
  settings: InspectedContextSettings
  logger: Logger
}

/**
 * The `(userId, namespace)` a request is about: the user from the path, the namespace from
 * `?namespace=` (else the memory's default). Every route reads through it, as every library call
 * takes a scope.
 * @throws FactlineError `invalid_argument`, `empty_id`.
 */
export function requestScope(c: Context, deps: InspectorDeps): Scope {
  const userId = c.req.param('userId') ?? ''
  const namespace = c.req.query('namespace') ?? deps.settings.namespace
  if (userId.length > MAX_USER_ID_LENGTH || namespace.length > MAX_NAMESPACE_LENGTH) {
    throw new FactlineError('invalid_argument', 'user id or namespace too long')
  }
  const scope = { userId, namespace }
  assertScope(scope)
  return scope
}

/** The same answer for "does not exist" and "is another user's": the id leaks nothing. */
export function notFound(what: string, id: string): FactlineError {
  return new FactlineError('not_found', `${what} ${JSON.stringify(id)} not found for this user and namespace`, { details: { id } })
}

/** An integer query parameter within bounds, else the fallback. */
export function limitParam(c: Context, name: string, fallback: number, max: number): number {
  const n = Number(c.req.query(name))
  return Number.isInteger(n) && n >= 1 ? Math.min(n, max) : fallback
}
