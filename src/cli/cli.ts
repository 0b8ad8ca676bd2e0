import { UsageError } from './cli-args.js'
import { DEMO_HELP, EXIT, HELP } from './help.js'
import { toTerminal } from './terminal-text.js'

export { EXIT } from './help.js'

const stdout = (text: string) => void process.stdout.write(toTerminal(text))

/**
 * Runs one CLI command and returns its exit code. Each command's module, and with it the database
 * drivers or the Agents SDK, is imported only when that command runs, so `--help` starts at once.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'migrate':
        return await (await import('./migrate-command.js')).runMigrate(rest)
      case 'demo': {
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(DEMO_HELP)
          return EXIT.ok
        }
        const flags = (await import('./inspect-command.js')).parseInspectFlags(rest)
        await (await import('./demo.js')).runDemo(undefined, flags.inspect ? flags : undefined)
        return EXIT.ok
      }
      case 'inspect':
        return await (await import('./inspect-command.js')).runInspectCommand(rest)
      case 'worker':
        return await (await import('./queue-commands.js')).runWorkerCommand(rest)
      case 'sweep':
        return await (await import('./queue-commands.js')).runSweepCommand(rest)
      case 'reindex':
        return await (await import('./reindex-command.js')).runReindexCommand(rest, stdout)
      case 'sessions':
        return await (await import('./data-commands.js')).runSessionsCommand(rest, stdout)
      case 'facts':
        return await (await import('./data-commands.js')).runFactsCommand(rest, stdout)
      case '--version':
      case '-v':
        process.stdout.write(`${await packageVersion()}\n`)
        return EXIT.ok
      // Bare `factline` is a request for help, not a mistake: help on stdout, exit 0.
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP)
        return EXIT.ok
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (error) {
    const message = toTerminal(error instanceof Error ? error.message : String(error))
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`factline ${command ?? ''}: ${message}\n\n${await helpFor(command)}`)
      return EXIT.usage
    }
    const { FactlineError } = await import('../errors.js')
    const code = error instanceof FactlineError ? ` [${error.code}]` : ''
    process.stderr.write(`factline${code}: ${message}\n`)
    return EXIT.failure
  }
}

async function helpFor(command: string | undefined): Promise<string> {
  if (command === 'sessions') return (await import('./data-commands.js')).SESSIONS_HELP
  if (command === 'facts') return (await import('./data-commands.js')).FACTS_HELP
  if (command === 'inspect') return (await import('./inspect-command.js')).INSPECT_HELP
  if (command === 'reindex') return (await import('./reindex-command.js')).REINDEX_HELP
  if (command === 'migrate') return (await import('./help.js')).MIGRATE_HELP
  if (command === 'demo') return DEMO_HELP
  return HELP
}

async function packageVersion(): Promise<string> {
  const { packageRequire } = await import('../package-require.js')
  return (packageRequire('factline/package.json') as { version: string }).version
}
