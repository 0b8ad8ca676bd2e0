import { Hono } from 'hono'
import { isFactlineError, type FactlineErrorCode } from '../errors.js'
import { sanitizedFailure } from '../queue/job-failure.js'
import { ASSETS, loadAssets } from './inspector-assets.js'
import type { InspectorDeps } from './inspector-deps.js'
import { inspectorGuard } from './inspector-guard.js'
import { factRoutes } from './fact-routes.js'
import { peopleRoutes } from './people-routes.js'
import { pipelineRoutes } from './pipeline.js'
import { recallPlayground } from './recall-playground.js'

/** Options of `memory.inspector()` and `factline inspect`. */
export interface InspectorOptions {
  /**
   * Required on every request when set (`Authorization: Bearer …`, or open the page once with
   * `?token=…`). Without one the inspector answers requests addressed to a loopback host only.
   */
  token?: string | undefined
  /** Allow forgetting facts and users, and re-enqueueing extraction. @defaultValue false (read-only: writes get 403) */
  allowWrites?: boolean | undefined
}

const STATUS_OF: Partial<Record<FactlineErrorCode, 400 | 404 | 503>> = {
  not_found: 404,
  unknown_user: 404,
  session_conflict: 404,
  invalid_argument: 400,
  invalid_item: 400,
  empty_id: 400,
  content_too_large: 400,
  queue_unavailable: 503,
}

// Stored text is untrusted: the page renders it with textContent, and this policy forbids inline
// script, foreign origins and framing besides.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * The inspector as a Hono app: the page and its JSON API over one memory. Mount it in a server
 * of your own (`app.route('/inspect', inspector)`), or pass its `fetch` to any fetch-style server.
 */
export async function createInspector(deps: InspectorDeps, options: InspectorOptions = {}): Promise<Hono> {
  const assets = await loadAssets()
  const allowWrites = options.allowWrites ?? false
  const app = new Hono()
  app.use('*', inspectorGuard({ token: options.token, allowWrites }))

  app.get('/', (c) => {
    const url = new URL(c.req.url)
    // Relative links in the page need the trailing slash when it is mounted under a path.
    if (!url.pathname.endsWith('/')) return c.redirect(`${url.pathname}/${url.search}`, 308)
    return c.body(assets['index.html'], 200, { 'content-type': ASSETS['index.html'], 'content-security-policy': CSP })
  })
  for (const name of ['inspector.js', 'inspector.css'] as const) {
    app.get(`/${name}`, (c) => c.body(assets[name], 200, { 'content-type': ASSETS[name], 'cache-control': 'no-cache' }))
  }

  const api = new Hono()
  api.get('/status', (c) =>
    c.json({ mode: deps.pipeline.mode, allowWrites, namespace: deps.settings.namespace, queue: deps.pipeline.counts !== undefined }),
  )
  api.route('/', peopleRoutes(deps))
  api.route('/', factRoutes(deps))
  api.route('/', recallPlayground(deps))
  api.route('/', pipelineRoutes(deps))
  app.route('/api', api)
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no such page or endpoint' } }, 404))

  app.onError((error, c) => {
    const status = isFactlineError(error) ? STATUS_OF[error.code] : undefined
    if (isFactlineError(error) && status !== undefined) return c.json({ error: { code: error.code, message: error.message } }, status)
    // The log line names the error's kind only (its message may quote stored text); debug has the rest.
    deps.logger.error('inspector request failed', { path: c.req.path, error: sanitizedFailure(error) })
    deps.logger.debug('inspector request failed', { path: c.req.path, error: String(error) })
    return c.json({ error: { code: isFactlineError(error) ? error.code : 'internal', message: 'internal error' } }, 500)
  })
  return app
}
