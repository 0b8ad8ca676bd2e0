import type { AddressInfo } from 'node:net'
import type { Hono } from 'hono'
import { FactlineError } from '../errors.js'
import type { InspectorOptions } from './inspector-app.js'
import { isLoopbackHost } from './inspector-guard.js'

/** Where `factline inspect` listens. */
export interface ServeInspectorOptions extends InspectorOptions {
  /** @defaultValue '127.0.0.1' (this machine only; any other host needs a token) */
  host?: string | undefined
  /** 0 picks a free port. @defaultValue 4319 */
  port?: number | undefined
}

/** A running inspector server. */
export interface RunningInspector {
  /** The page's address (with `?token=` when there is one, so the link logs the browser in). */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

export const DEFAULT_INSPECT_PORT = 4319

/** @throws FactlineError `invalid_config` when `host` is reachable from other machines and there is no token. */
export function assertServable(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new FactlineError(
      'invalid_config',
      `inspect on host ${host} is reachable from other machines, so it needs a token: pass --token or set FACTLINE_INSPECT_TOKEN`,
    )
  }
}

/**
 * Serves an inspector on a Node HTTP server.
 * @throws FactlineError `invalid_config` when the host is not loopback and no token is given.
 */
export async function serveInspector(
  memory: { inspector(options?: InspectorOptions): Promise<Hono> },
  options: ServeInspectorOptions = {},
): Promise<RunningInspector> {
  const host = options.host ?? '127.0.0.1'
  assertServable(host, options.token)
  const app = await memory.inspector({ token: options.token, allowWrites: options.allowWrites })
  const { serve } = await import('@hono/node-server')
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port: options.port ?? DEFAULT_INSPECT_PORT }, () => resolve(started))
    started.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  return {
    url: `http://${shown}:${port}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        // A browser keeps idle connections open; without this, close would wait for it.
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
