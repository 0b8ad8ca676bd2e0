import { execFile, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A throwaway Redis Cluster of local `redis-server` processes (masters only, no replicas). */
export interface LocalRedisCluster {
  /** `redis://127.0.0.1:<port>` of every master: what `queue: { cluster }` and REDIS_CLUSTER_NODES take. */
  readonly nodes: string[]
  readonly ports: number[]
  /** Shuts every node down (no save) and removes its folder. */
  stop(): Promise<void>
}

/** Why a local cluster cannot be started here (redis-server or redis-cli missing or too old), or undefined when it can. */
export function redisClusterUnavailable(): string | undefined {
  for (const binary of ['redis-server', 'redis-cli']) {
    const result = spawnSync(binary, ['--version'], { encoding: 'utf8' })
    if (result.error || result.status !== 0) return `${binary} not installed`
    const major = Number(/v=(\d+)\./.exec(result.stdout)?.[1] ?? /redis-cli (\d+)\./.exec(result.stdout)?.[1])
    // `redis-cli --cluster create` needs 5; BullMQ's scripts want 6.2 or later.
    if (!(major >= 7)) return `${binary} ${result.stdout.trim()} is older than 7`
  }
  return undefined
}

/**
 * Starts `masters` cluster-enabled redis-servers on free loopback ports (from `firstPort` up,
 * each with its cluster bus port, +10000, free too), joins them with `redis-cli --cluster create`,
 * and waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(options: { masters?: number; firstPort?: number } = {}): Promise<LocalRedisCluster> {
  const masters = options.masters ?? 3
  const ports = await freePorts(masters, options.firstPort ?? 7100)
  const dir = await mkdtemp(join(tmpdir(), 'factline-redis-cluster-'))
  const stop = async () => {
    for (const port of ports) {
      await run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(async () => {
        // Not answering: end it by the pid it wrote, if it got that far.
        const pid = Number(await readFile(join(dir, `redis-${port}.pid`), 'utf8').catch(() => ''))
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {}
        }
      })
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) {
      await run('redis-server', [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '5000',
        '--save', '',
        '--appendonly', 'no',
        '--daemonize', 'yes',
        '--dir', dir,
        '--pidfile', join(dir, `redis-${port}.pid`),
        '--logfile', join(dir, `redis-${port}.log`),
      ])
    }
    for (const port of ports) await until(async () => (await cli(port, 'ping')) === 'PONG', `node ${port} to answer`)
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'])
    for (const port of ports) {
      await until(async () => {
        const info = await cli(port, 'cluster', 'info')
        return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`)
      }, `node ${port} to report cluster_state:ok`)
    }
    return { nodes: ports.map((p) => `redis://127.0.0.1:${p}`), ports, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim()
  } catch {
    return ''
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`local Redis Cluster: timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** `count` consecutive ports from `first` (in steps of 10) that are free, with their cluster bus ports. */
async function freePorts(count: number, first: number): Promise<number[]> {
  for (let base = first; base + count <= 10_000; base += 10) {
    const ports = Array.from({ length: count }, (_, i) => base + i)
    const free = await Promise.all(ports.flatMap((p) => [isFree(p), isFree(p + 10_000)]))
    if (free.every(Boolean)) return ports
  }
  throw new Error(`local Redis Cluster: no ${count} free ports from ${first}`)
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
