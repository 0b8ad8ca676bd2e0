import { z } from 'zod'

/**
 * A Redis Cluster named by its startup nodes: `redis://` (or `rediss://` for TLS) URLs, the same
 * form as `REDIS_URL`, e.g. `['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000']`. ioredis learns
 * the other nodes from these. The nodes share one scheme and one username/password (every node of a
 * cluster is reached with the same settings), and name no database: a cluster only has db 0.
 */
export const RedisClusterNodesSchema = z
  .array(z.string())
  .min(1, 'expected at least one cluster node URL')
  .superRefine((nodes, ctx) => {
    const parsed = nodes.map((node, index) => {
      const problem = nodeProblem(node)
      if (problem) ctx.addIssue({ code: 'custom', path: [index], message: problem })
      return problem ? undefined : new URL(node)
    })
    const valid = parsed.filter((u): u is URL => u !== undefined)
    const first = valid[0]
    if (first && valid.some((u) => u.protocol !== first.protocol || u.username !== first.username || u.password !== first.password)) {
      ctx.addIssue({ code: 'custom', message: 'all cluster nodes need the same scheme (redis:// or rediss://) and the same username and password' })
    }
  })

/** Why `node` is not a usable cluster node URL, or undefined when it is. */
function nodeProblem(node: string): string | undefined {
  if (!URL.canParse(node)) return `expected a redis://host:port URL, got ${JSON.stringify(redactNode(node))}`
  const url = new URL(node)
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return `expected redis:// or rediss://, got ${url.protocol}//`
  if (url.hostname === '') return 'expected a host'
  if (url.pathname !== '' && url.pathname !== '/' && url.pathname !== '/0') return `a cluster has only database 0, got ${url.pathname}`
  return undefined
}

/** Host and port of every node, plus the connection settings all nodes share (credentials, TLS). */
export interface ClusterStartup {
  startupNodes: Array<{ host: string; port: number }>
  nodeOptions: { username?: string; password?: string; tls?: object }
}

/** Splits validated node URLs into ioredis `Cluster` startup nodes and per-node options. */
export function clusterStartup(nodes: readonly string[]): ClusterStartup {
  const urls = nodes.map((node) => new URL(node))
  const first = urls[0]!
  const nodeOptions: ClusterStartup['nodeOptions'] = {}
  if (first.username) nodeOptions.username = decodeURIComponent(first.username)
  if (first.password) nodeOptions.password = decodeURIComponent(first.password)
  if (first.protocol === 'rediss:') nodeOptions.tls = {}
  return {
    // IPv6 hosts come bracketed from URL; ioredis wants them bare.
    startupNodes: urls.map((u) => ({ host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : 6379 })),
    nodeOptions,
  }
}

/** `host:port, host:port` of the nodes, never a password: for messages. */
export function describeClusterNodes(nodes: readonly string[]): string {
  return `cluster ${nodes.map((node) => (URL.canParse(node) ? new URL(node).host : redactNode(node))).join(', ')}`
}

function redactNode(node: string): string {
  return node.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
}
