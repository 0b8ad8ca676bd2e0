import { parseArgs } from 'node:util'
import { UsageError } from './cli-args.js'
import { DEMO_HELP, EXIT, HELP } from './help.js'

export { EXIT } from './help.js'

const stdout = (text: string) => void process.stdout.write(text)

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
      case 'demo':
        if (parseArgs({ args: rest, options: { help: { type: 'boolean', short: 'h' } }, strict: true }).values.help) {
          stdout(DEMO_HELP)
          return EXIT.ok
        }
        await (await import('./demo.js')).runDemo()
        return EXIT.ok
      case 'worker':
        return await (await import('./queue-commands.js')).runWorkerCommand(rest)
      case 'sweep':
        return await (await import('./queue-commands.js')).runSweepCommand(rest)
      case 'sessions':
        return await (await import('./data-commands.js')).runSessionsCommand(rest, stdout)
      case 'facts':
        return await (await import('./data-commands.js')).runFactsCommand(rest, stdout)
      case '--version':
      case '-v':
        stdout(`${await packageVersion()}\n`)
        return EXIT.ok
      // Bare `factline` is a request for help, not a mistake: help on stdout, exit 0.
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        stdout(HELP)
        return EXIT.ok
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`factline ${command ?? ''}: ${(error as Error).message}\n\n${await helpFor(command)}`)
      return EXIT.usage
    }
    const { errorMessage, FactlineError } = await import('../errors.js')
    const code = error instanceof FactlineError ? ` [${error.code}]` : ''
    process.stderr.write(`factline${code}: ${errorMessage(error)}\n`)
    return EXIT.failure
  }
}

async function helpFor(command: string | undefined): Promise<string> {
  if (command === 'sessions') return (await import('./data-commands.js')).SESSIONS_HELP
  if (command === 'facts') return (await import('./data-commands.js')).FACTS_HELP
  if (command === 'migrate') return (await import('./help.js')).MIGRATE_HELP
  if (command === 'demo') return DEMO_HELP
  return HELP
}

async function packageVersion(): Promise<string> {
  const { packageRequire } = await import('../package-require.js')
  return (packageRequire('factline/package.json') as { version: string }).version
}
