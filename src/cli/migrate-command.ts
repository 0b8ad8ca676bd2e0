import { parseArgs } from 'node:util'
import { openDatabase } from '../config/components.js'
import { configFromEnv } from '../config/env.js'
import { assertCitus, distributeTables, hasCitus, type DistributeResult } from '../db/distribute.js'
import { isDistributed } from '../db/is-distributed.js'
import { migrate, migrationStatus } from '../db/migrate.js'
import { createJsonLogger } from '../logger.js'
import { integerFlag } from './cli-args.js'
import { EXIT, MIGRATE_HELP } from './help.js'

/**
 * `factline migrate`: apply pending migrations, or with `--status` list applied and pending ones.
 * `--distributed` then distributes the tables on Citus (see distributeTables).
 */
export async function runMigrate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'embedding-dimensions': { type: 'string' },
      status: { type: 'boolean', default: false },
      distributed: { type: 'boolean', default: false },
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
      const distributed = await isDistributed(handle.db, handle.tables.sessions)
      if (values.json) process.stdout.write(`${JSON.stringify({ ...status, distributed })}\n`)
      else {
        for (const name of status.applied) process.stdout.write(`applied  ${name}\n`)
        for (const name of status.pending) process.stdout.write(`pending  ${name}\n`)
        process.stdout.write(status.pending.length === 0 ? 'up to date\n' : `${status.pending.length} pending: run factline migrate\n`)
        if (distributed) process.stdout.write('distributed on Citus by user_id\n')
      }
      return EXIT.ok
    }
    // Refuse before migrating: --distributed aimed at the wrong database should change nothing there.
    if (values.distributed) await assertCitus(handle)
    const result = await migrate(handle, {
      ...(embeddingDimensions === undefined ? {} : { embeddingDimensions }),
      rowLevelSecurity: env.rowLevelSecurity === true,
    })
    // migrate() itself keeps already-distributed tables distributed; --distributed is the first step.
    const distribution = values.distributed ? await distributeTables(handle) : result.distribution
    if (values.json) process.stdout.write(`${JSON.stringify({ ...result, ...(distribution ? { distribution } : {}) })}\n`)
    else {
      if (result.applied.length === 0) process.stdout.write(`up to date (embedding dimension ${result.embeddingDimensions})\n`)
      else process.stdout.write(`applied ${result.applied.join(', ')} (embedding dimension ${result.embeddingDimensions})\n`)
      if (distribution) process.stdout.write(describeDistribution(distribution, handle.tables.sessions))
      else if (handle.backend === 'postgres' && (await hasCitus(handle.db))) {
        process.stdout.write('note: the citus extension is installed but the tables are local to the coordinator; ' +
          'run `factline migrate --distributed` to distribute them by user (see README, Scaling out)\n')
      }
    }
    return EXIT.ok
  } finally {
    await handle.close()
  }
}

function describeDistribution(d: DistributeResult, sessions: string): string {
  const lines = d.adjusted.map((phrase) => `${phrase}\n`)
  if (d.distributed.length > 0) lines.push(`distributed by user_id, colocated with ${sessions}: ${d.distributed.join(', ')}\n`)
  if (d.referenced.length > 0) lines.push(`reference table: ${d.referenced.join(', ')}\n`)
  if (lines.length === 0) lines.push('already distributed on Citus by user_id\n')
  return lines.join('')
}
