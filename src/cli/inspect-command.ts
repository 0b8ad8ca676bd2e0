import { parseArgs } from 'node:util'
import { configFromEnv } from '../config/env.js'
import { waitForShutdownSignal } from '../config/shutdown-signals.js'
import { assertServable, DEFAULT_INSPECT_PORT, serveInspector } from '../inspect/serve-inspector.js'
import { assertSeesAllUsers } from '../db/row-level-security.js'
import { createMemory, type Memory } from '../memory.js'
import { integerFlag } from './cli-args.js'

export const INSPECT_HELP = `Usage: factline inspect [--port ${DEFAULT_INSPECT_PORT}] [--host 127.0.0.1] [--token TOKEN] [--allow-writes]

Serves a local web page showing what the agent remembers about each user, why (the source
messages, history and supersession of each fact), what a run would inject, and extraction health.
  --port N          port to listen on (default: ${DEFAULT_INSPECT_PORT}; 0 picks a free one)
  --host HOST       address to bind (default: 127.0.0.1); any non-loopback host needs a token
  --token TOKEN     required on every request (default: $FACTLINE_INSPECT_TOKEN)
  --allow-writes    allow forgetting facts and users and re-enqueueing extraction (default: read-only)
Environment: DATABASE_URL (else embedded PGlite in $FACTLINE_DATA_DIR or .factline/pglite, which only
one process can open), REDIS_URL or REDIS_CLUSTER_NODES (queue counts and failed jobs), OPENAI_API_KEY
(the app's embedder).
`

/** Parsed `factline inspect` flags. */
export function parseInspectFlags(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'allow-writes': { type: 'boolean', default: false },
      inspect: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  return {
    help: values.help,
    inspect: values.inspect,
    port: integerFlag('--port', values.port, 0) ?? DEFAULT_INSPECT_PORT,
    host: values.host ?? '127.0.0.1',
    token: values.token ?? configFromEnv().inspectToken,
    allowWrites: values['allow-writes'],
  }
}

/** Serves the inspector over `memory` until SIGINT/SIGTERM; prints its address. */
export async function serveUntilSignal(memory: Memory, flags: ReturnType<typeof parseInspectFlags>, write: (line: string) => void): Promise<void> {
  const running = await serveInspector(memory, flags)
  const shutdown = waitForShutdownSignal()
  try {
    write(`factline inspect: ${running.url}${flags.allowWrites ? '' : '  (read-only; --allow-writes to forget)'}`)
    write('Press Ctrl+C to stop.')
    await shutdown.signal
  } finally {
    await running.close()
    // Released only now: the Agents SDK's own SIGINT handler exits the process (130) if it finds no other listener.
    shutdown.release()
  }
}

/** `factline inspect`. */
export async function runInspectCommand(argv: string[]): Promise<number> {
  const flags = parseInspectFlags(argv)
  if (flags.help) {
    process.stdout.write(INSPECT_HELP)
    return 0
  }
  assertServable(flags.host, flags.token) // before opening the database: a refusal should be instant
  // Never create or upgrade tables from an inspection: an unmigrated database is an error to report.
  const memory = await createMemory({ createTables: false })
  try {
    await assertSeesAllUsers(memory.db, "factline inspect shows every user's memory")
    await serveUntilSignal(memory, flags, (line) => process.stdout.write(`${line}\n`))
    return 0
  } finally {
    await memory.close()
  }
}
