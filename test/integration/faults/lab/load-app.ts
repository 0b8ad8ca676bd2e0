/**
 * The application under fault: a child process so that a crash shows as its exit code. It opens
 * a memory in queue mode and has SESSIONS users talk at once, TURNS turns each, one every TURN_MS,
 * recalling after each turn. A turn whose write fails is retried until stored; since a failed
 * write's outcome may be unknown (the commit may have happened), the session is read back first
 * and the turn re-sent only if it is not there, so a retry never stores it twice.
 *
 * Env: DATABASE_URL, REDIS_URL, PREFIX, SESSIONS, TURNS, TURN_MS. Prints `started` once the memory
 * is open and `result <json>` at the end; exits 0 unless something crashed it.
 */
import { isFactlineError } from '../../../../src/errors.js'
import { createMemory } from '../../../../src/memory.js'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Things a user can love: each turn of a session states a different one, so each turn is its own fact. */
const LOVED = [
  'Rust', 'Python', 'Haskell', 'Kotlin', 'Swift', 'Elixir', 'Scala', 'Erlang', 'Clojure', 'Julia',
  'Fortran', 'Pascal', 'Prolog', 'Smalltalk', 'Racket', 'Lua', 'Perl', 'Ruby', 'Dart', 'Zig',
] as const

/** The text of turn `turn` (0-based) of a session. */
function turnText(turn: number): string {
  return `I love ${LOVED[turn % LOVED.length]}.`
}

const prefix = env('PREFIX')
const sessions = Number(env('SESSIONS'))
const turns = Number(env('TURNS'))
const turnMs = Number(env('TURN_MS'))

const stats = { stored: 0, writeRetries: 0, errors: {} as Record<string, number>, rawErrors: [] as string[], reads: 0, readErrors: 0 }
const record = (error: unknown, operation: 'read' | 'write') => {
  const key = isFactlineError(error) ? error.code : 'raw'
  stats.errors[key] = (stats.errors[key] ?? 0) + 1
  if (key === 'raw' && stats.rawErrors.length < 20) stats.rawErrors.push(`${operation}: ${error instanceof Error ? error.message : String(error)}`)
}

const memory = await createMemory({
  database: { url: env('DATABASE_URL') },
  queue: { url: env('REDIS_URL') },
  env: false,
  startupWaitMs: 60_000,
})
process.stdout.write('started\n')

await Promise.all(
  Array.from({ length: sessions }, async (_, s) => {
    const userId = `${prefix}-user-${s}`
    const session = memory.session(`${prefix}-session-${s}`, { userId })
    for (let turn = 0; turn < turns; turn++) {
      const content = turnText(turn)
      for (let attempt = 0; ; attempt++) {
        try {
          if (attempt > 0) {
            stats.writeRetries++
            const stored = await session.getItems().catch((error: unknown) => {
              record(error, 'read')
              throw error
            })
            if (stored.some((item) => (item as { content?: unknown }).content === content)) break
          }
          await session.addItems([{ role: 'user', content }]).catch((error: unknown) => {
            record(error, 'write')
            throw error
          })
          stats.stored++
          break
        } catch {
          await sleep(500)
        }
      }
      try {
        stats.reads++
        await memory.recall({ userId, query: content })
      } catch (error) {
        stats.readErrors++
        record(error, 'read')
      }
      await sleep(turnMs)
    }
  }),
)

process.stdout.write(`result ${JSON.stringify(stats)}\n`)
await memory.close()
