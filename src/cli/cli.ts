import { parseArgs } from 'node:util'
import { configFromEnv } from '../config/env.js'
import { openDatabase } from '../config/components.js'
import { createJsonLogger } from '../logger.js'
import { migrate } from '../db/migrate.js'
import { errorMessage, FactlineError } from '../errors.js'
import { integerFlag, UsageError } from './cli-args.js'
import { FACTS_HELP, runFactsCommand, runSessionsCommand, SESSIONS_HELP } from './data-commands.js'
import { runDemo } from './demo.js'
import { INSPECT_HELP, parseInspectFlags, runInspectCommand } from './inspect-command.js'
import { runSweepCommand, runWorkerCommand } from './queue-commands.js'
import { REINDEX_HELP, runReindexCommand } from './reindex-command.js'
import { toTerminal } from './terminal-text.js'

const HELP = `factline — PostgreSQL memory for OpenAI Agents SDK agents

Usage: factline <command> [options]

Commands:
  migrate    create or upgrade the tables (safe to run twice, or from several processes)
  demo       an offline walkthrough: two sessions, extraction, cross-session recall, provenance
             (--inspect then serves the inspector on its data)
  worker     run the fact extraction worker (needs DATABASE_URL and REDIS_URL)
  sweep      re-enqueue sessions whose fact extraction lags behind their transcript
  reindex    re-embed facts and excerpts with the configured embedder; index old sessions
  sessions   list sessions, or show one's transcript
  facts      list a user's facts, explain one (its sources and history), forget one or a user
  inspect    a local web page: what is remembered about a user, why, and what a run would inject

Run \`factline <command> --help\` for a command's options.
Environment: DATABASE_URL (PostgreSQL; without it the embedded PGlite in .factline/pglite is used)
`

const MIGRATE_HELP = `Usage: factline migrate [--database-url URL] [--embedding-dimensions N] [--json]

  --database-url URL          PostgreSQL connection string (default: $DATABASE_URL, else embedded PGlite)
  --data-dir DIR              embedded PGlite folder when no URL is given
                              (default: $FACTLINE_DATA_DIR, else .factline/pglite)
  --embedding-dimensions N    dimension of facts.embedding, fixed on first run
                              (default: $FACTLINE_EMBEDDING_DIMENSIONS, else 1536)
  --json                      print the result as JSON

Environment: FACTLINE_RLS=1 also enables the row-level security policies on every user table
(run it as the table owner; see README, Security).
`

/** Exit codes scripts can rely on: 0 ok, 1 failure, 2 bad usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

async function runMigrate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'embedding-dimensions': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(MIGRATE_HELP)
    return EXIT.ok
  }
  const env = configFromEnv()
  const url = values['database-url'] ?? env.databaseUrl
  const dataDir = values['data-dir'] ?? env.dataDir
  const embeddingDimensions = integerFlag('--embedding-dimensions', values['embedding-dimensions']) ?? env.embeddingDimensions
  const handle = await openDatabase(undefined, { ...env, databaseUrl: url, dataDir }, {
    startupWaitMs: env.startupWaitMs,
    logger: createJsonLogger(env.logLevel),
  })
  try {
    const result = await migrate(handle, {
      ...(embeddingDimensions === undefined ? {} : { embeddingDimensions }),
      rowLevelSecurity: env.rowLevelSecurity === true,
    })
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`)
    else if (result.applied.length === 0) process.stdout.write(`up to date (embedding dimension ${result.embeddingDimensions})\n`)
    else process.stdout.write(`applied ${result.applied.join(', ')} (embedding dimension ${result.embeddingDimensions})\n`)
    return EXIT.ok
  } finally {
    await handle.close()
  }
}

const stdout = (text: string) => void process.stdout.write(toTerminal(text))

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'migrate':
        return await runMigrate(rest)
      case 'demo': {
        const flags = parseInspectFlags(rest)
        await runDemo(undefined, flags.inspect ? flags : undefined)
        return EXIT.ok
      }
      case 'inspect':
        return await runInspectCommand(rest)
      case 'worker':
        return await runWorkerCommand(rest)
      case 'sweep':
        return await runSweepCommand(rest)
      case 'reindex':
        return await runReindexCommand(rest, stdout)
      case 'sessions':
        return await runSessionsCommand(rest, stdout)
      case 'facts':
        return await runFactsCommand(rest, stdout)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP)
        return command === undefined ? EXIT.usage : EXIT.ok
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const help = command === 'sessions' ? SESSIONS_HELP : command === 'facts' ? FACTS_HELP : command === 'inspect' ? INSPECT_HELP : command === 'reindex' ? REINDEX_HELP : HELP
      process.stderr.write(`factline ${command ?? ''}: ${toTerminal(errorMessage(error))}

${help}`)
      return EXIT.usage
    }
    const code = error instanceof FactlineError ? ` [${error.code}]` : ''
    process.stderr.write(`factline${code}: ${toTerminal(errorMessage(error))}\n`)
    return EXIT.failure
  }
}
