import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, resolve } from 'node:path'
import { FactlineError } from '../errors.js'

/** Who holds an embedded data folder, written into the lock so a second process can name it. */
export interface DataDirHolder {
  pid: number
  command: string
  hostname: string
  since: string
}

// PGlite's initdb and large queries block the event loop for seconds, and a lock whose refresh
// is late counts as abandoned: a generous threshold, plus the dead-pid check below for crashes.
const STALE_MS = 60_000

/**
 * Takes the exclusive lock on an embedded PGlite data folder (proper-lockfile's `<dir>.lock`), so
 * two processes never open one folder: PGlite has no locking of its own, and two writers lose data.
 * A lock left by a process that died on this host is taken over at once.
 * @returns the function releasing the lock
 * @throws FactlineError `data_dir_locked` naming the holding process
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const { default: lockfile } = await import('proper-lockfile')
  const folder = resolve(dataDir)
  const lockPath = `${folder}.lock`
  await mkdir(dirname(folder), { recursive: true, mode: 0o700 }) // private, as create-db's data folder
  const options = { lockfilePath: lockPath, realpath: false, stale: STALE_MS, onCompromised: () => {} }
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(folder, options)
  } catch (error) {
    if ((error as { code?: string }).code !== 'ELOCKED') throw error
    const holder = await readHolder(lockPath)
    if (!holder || !isDeadHere(holder)) throw lockedError(folder, holder, error)
    await rm(lockPath, { recursive: true, force: true })
    release = await lockfile.lock(folder, options).catch(async (again: unknown) => {
      throw lockedError(folder, await readHolder(lockPath), again)
    })
  }
  const holder: DataDirHolder = { pid: process.pid, command: process.argv.join(' '), hostname: hostname(), since: new Date().toISOString() }
  await writeFile(holderPath(lockPath), JSON.stringify(holder))
  return async () => {
    await rm(holderPath(lockPath), { force: true })
    await release()
  }
}

// Beside the lock directory, not inside it: proper-lockfile removes the directory with rmdir.
const holderPath = (lockPath: string) => `${lockPath}-holder.json`

async function readHolder(lockPath: string): Promise<DataDirHolder | undefined> {
  try {
    return JSON.parse(await readFile(holderPath(lockPath), 'utf8')) as DataDirHolder
  } catch {
    return undefined
  }
}

function isDeadHere(holder: DataDirHolder): boolean {
  if (holder.hostname !== hostname()) return false
  try {
    process.kill(holder.pid, 0)
    return false
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH'
  }
}

function lockedError(folder: string, holder: DataDirHolder | undefined, cause: unknown): FactlineError {
  const who = holder ? `process ${holder.pid} (${holder.command}) on ${holder.hostname} since ${holder.since}` : 'another process'
  const stop = holder ? `stop that app (\`kill ${holder.pid}\`, or close its memory)` : 'stop the app using it'
  return new FactlineError(
    'data_dir_locked',
    `The embedded data folder ${folder} is in use by ${who}: one process at a time. ${stop} and retry, ` +
      'or use PostgreSQL (DATABASE_URL) to share the data between processes.',
    { details: { dataDir: folder, holder: holder ?? null }, cause },
  )
}
