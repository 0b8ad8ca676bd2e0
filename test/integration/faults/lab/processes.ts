import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root: children run TypeScript sources through tsx, so no build is needed. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** A child process whose exit is recorded, with its output lines kept for inspection. */
export interface Child {
  readonly name: string
  readonly pid: number
  readonly lines: string[]
  readonly process: ChildProcess
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** True once we killed it on purpose (a SIGKILL fault), so its exit is not a crash. */
  killedOnPurpose: boolean
  /** Resolves when a line containing `text` has been printed. */
  saw(text: string, timeoutMs?: number): Promise<void>
}

/** Runs `node --import tsx <script>` from the repository root with `env` added. */
export function spawnChild(name: string, script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiters: Array<{ text: string; resolve: () => void }> = []
  const onLine = (line: string) => {
    lines.push(line)
    for (const w of waiters.filter((w) => line.includes(w.text))) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  }
  createInterface({ input: child.stdout! }).on('line', onLine)
  createInterface({ input: child.stderr! }).on('line', onLine)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const handle: Child = {
    name,
    pid: child.pid!,
    lines,
    process: child,
    exited,
    killedOnPurpose: false,
    saw(text, timeoutMs = 60_000) {
      if (lines.some((l) => l.includes(text))) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not print "${text}" within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs)
        waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) })
        void exited.then(() => reject(new Error(`${name} exited before printing "${text}":\n${lines.slice(-20).join('\n')}`)))
      })
    },
  }
  return handle
}

/** Whether a child is still running. */
export function isRunning(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null
}

/** SIGKILLs a child on purpose and waits for it to go. */
export async function killOnPurpose(child: Child): Promise<void> {
  child.killedOnPurpose = true
  if (isRunning(child)) child.process.kill('SIGKILL')
  await child.exited
}

/** SIGTERMs a child (a graceful stop) and returns how it exited. */
export async function stopGracefully(child: Child): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (isRunning(child)) child.process.kill('SIGTERM')
  return child.exited
}

/** A crash: the child exited on its own with a non-zero code or a signal we did not send. */
export function crashed(child: Child, exit: { code: number | null; signal: NodeJS.Signals | null } | undefined): boolean {
  if (!exit || child.killedOnPurpose) return false
  return exit.code !== 0
}
