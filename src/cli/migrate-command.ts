import { parseArgs } from 'node:util'
import { openDatabase } from '../config/components.js'
import { configFromEnv } from '../config/env.js'
import { migrate, migrationStatus } from '../db/migrate.js'
import { createJsonLogger } from '../logger.js'
import { integerFlag } from './cli-args.js'
import { EXIT, MIGRATE_HELP } from './help.js'

/** `factline migrate`: apply pending migrations, or with `--status` list applied and pending ones. */
export async function runMigrate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'embedding-dimensions': { type: 'string' },
      status: { type: 'boolean', default: false },
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
    if (values.status) {
      const status = await migrationStatus(handle)
      if (values.json) process.stdout.write(`${JSON.stringify(status)}\n`)
      else {
        for (const name of status.applied) process.stdout.write(`applied  ${name}\n`)
        for (const name of status.pending) process.stdout.write(`pending  ${name}\n`)
        process.stdout.write(status.pending.length === 0 ? 'up to date\n' : `${status.pending.length} pending: run factline migrate\n`)
      }
      return EXIT.ok
    }
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
