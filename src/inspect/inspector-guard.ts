import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'

/** The header the page sets on every write: a cross-site form or image cannot send it. */
export const WRITE_HEADER = 'x-factline-inspect'
const TOKEN_COOKIE = 'factline_inspect_token'
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

/** Whether a host name or bind address is this machine only. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host)
}

/** Compares secrets in time that does not depend on where they differ (hashed first: equal lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
  return timingSafeEqual(digest(given), digest(expected))
}

export interface GuardOptions {
  /** Required on every request when set: `Authorization: Bearer …`, or the cookie `?token=` sets. */
  token?: string | undefined
  allowWrites: boolean
}

const deny = (c: Context, status: 401 | 403, code: string, message: string) => c.json({ error: { code, message } }, status)

/**
 * Authentication, then the write rules. Without a token the inspector answers only requests
 * addressed to a loopback host, which also defeats DNS rebinding (a foreign name resolving to
 * 127.0.0.1 still arrives with that name in `Host`). Writes need `allowWrites`, the page's own
 * header, and, when the browser sends one, an `Origin` equal to the inspector's.
 */
export function inspectorGuard(options: GuardOptions): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url)
    if (options.token === undefined) {
      if (!isLoopbackHost(url.hostname)) {
        return deny(c, 401, 'unauthorized', 'this inspector has no token, so it answers on loopback only; start it with --token')
      }
    } else {
      const queryToken = c.req.query('token')
      if (queryToken !== undefined && c.req.method === 'GET' && sameSecret(queryToken, options.token)) {
        // A link with ?token= logs the browser in; the redirect takes the token out of the address bar.
        setCookie(c, TOKEN_COOKIE, options.token, { httpOnly: true, sameSite: 'Strict', path: '/' })
        url.searchParams.delete('token')
        return c.redirect(url.pathname + url.search, 303)
      }
      const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1]
      const given = bearer ?? getCookie(c, TOKEN_COOKIE)
      if (given === undefined || !sameSecret(given, options.token)) {
        return deny(c, 401, 'unauthorized', 'missing or wrong token: send Authorization: Bearer <token>, or open the page with ?token=<token>')
      }
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (!options.allowWrites) return deny(c, 403, 'read_only', 'this inspector is read-only; start it with --allow-writes')
      if (c.req.header(WRITE_HEADER) !== '1') return deny(c, 403, 'csrf', `writes must come from the inspector page (${WRITE_HEADER} header)`)
      const origin = c.req.header('origin')
      const site = c.req.header('sec-fetch-site')
      if ((origin !== undefined && origin !== url.origin) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
        return deny(c, 403, 'csrf', 'cross-origin write refused')
      }
    }
    await next()
    c.res.headers.set('x-content-type-options', 'nosniff')
    c.res.headers.set('referrer-policy', 'no-referrer')
    return undefined
  }
}
