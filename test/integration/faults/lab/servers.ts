/**
 * Private PostgreSQL and Redis servers for the fault suite and the fault bench: started as child
 * processes on free ports in a temporary folder, so they can be killed and restarted without
 * touching the shared services other test runs use.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Where initdb and pg_ctl live (the newest installed PostgreSQL), or undefined. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(root, versions[0], 'bin')
  }
  return undefined
}

async function onPath(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  )
}

/** Why the private servers cannot be started here, or undefined when they can. */
export async function missingTools(): Promise<string | undefined> {
  const missing = []
  if (!postgresBinDir()) missing.push('PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin/initdb)')
  if (!(await onPath('redis-server'))) missing.push('redis-server')
  if (process.getuid?.() === 0 && !(await onPath('runuser'))) missing.push('runuser (initdb refuses to run as root)')
  return missing.length > 0 ? `needs ${missing.join(', ')}` : undefined
}

/** A PostgreSQL cluster of our own that can be restarted, stopped and started. */
export interface PrivatePostgres {
  readonly url: string
  restart(): Promise<void>
  stop(): Promise<void>
  start(): Promise<void>
  destroy(): Promise<void>
}

export async function startPrivatePostgres(database = 'factline_faults'): Promise<PrivatePostgres> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('no PostgreSQL server binaries found')
  const dir = await mkdtemp(join(tmpdir(), 'factline-pg-'))
  const port = await freePort()
  // initdb refuses root; run the server tools as the postgres OS user then.
  const asRoot = process.getuid?.() === 0
  const owner = asRoot ? (await run('id', ['-u', 'postgres'])).stdout.trim() : undefined
  if (owner) await chown(dir, Number(owner), Number((await run('id', ['-g', 'postgres'])).stdout.trim()))
  const tool = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args]) : run(join(bin, name), args)
  const data = join(dir, 'data')
  await tool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  // Durability settings off: the suite tests connection faults, not crash recovery of the disk.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
  const start = async () => void (await tool('pg_ctl', ['-D', data, '-o', serverOptions, '-l', join(dir, 'log'), '-w', 'start']))
  await start()
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  await client.query(`create database ${database}`)
  await client.end()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    // -l on every start: without it the server inherits pg_ctl's output pipe and execFile never returns.
    restart: async () => void (await tool('pg_ctl', ['-D', data, '-m', 'fast', '-l', join(dir, 'log'), '-w', 'restart'])),
    stop: async () => void (await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])),
    start,
    async destroy() {
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A Redis of our own, without persistence: a restart loses every job, as a crashed cache would. */
export interface PrivateRedis {
  readonly url: string
  /** SIGKILL, as an OOM kill or a crashed node. */
  kill(): Promise<void>
  start(): Promise<void>
  destroy(): Promise<void>
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('error', () => resolve(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
  })
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    })
    for (let i = 0; i < 200 && !(await answersPing(port)); i++) await sleep(25)
  }
  const kill = async () => {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await start()
  return { url: `redis://127.0.0.1:${port}`, kill, start, destroy: kill }
}
