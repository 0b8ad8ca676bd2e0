import { parseArgs } from 'node:util'
import { openDatabase, openAISettingsFrom } from '../config/components.js'
import { configFromEnv } from '../config/env.js'
import { readEmbeddingDimensions } from '../db/migrate.js'
import { HashEmbedder } from '../embed/hash-embedder.js'
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from '../embed/openai-embedder.js'
import type { Embedder } from '../embed/embedder.js'
import { reindex } from '../extraction/reindex.js'
import { assertSeesAllUsers } from '../db/row-level-security.js'
import { createJsonLogger } from '../logger.js'
import { integerFlag } from './cli-args.js'

export const REINDEX_HELP = `Usage: factline reindex [--dimensions N] [--batch-size N] [--force] [--json]

Re-embeds every fact and transcript excerpt with the configured embedder and records it, so
stored and new vectors compare again; indexes sessions extracted before transcript excerpts
existed. With OPENAI_API_KEY set the embedder is OpenAI's (FACTLINE_EMBEDDING_MODEL); without
it, the current offline embedder (hash-v2-wordnet). Stop the workers first, or switch them to the
new embedder. Resumable: run it again after an interruption and it continues.
  --dimensions N     vector dimension of the new embedder; when it differs from the stored one the
                     vector columns are altered (default: FACTLINE_EMBEDDING_DIMENSIONS, else stored)
  --batch-size N     rows per embedder call and transaction (default: 256)
  --force            re-embed even when the recorded embedder is already this one
  --database-url URL PostgreSQL connection string (default: $DATABASE_URL, else embedded PGlite)
  --data-dir DIR     embedded PGlite folder when no URL is given (default: $FACTLINE_DATA_DIR)
  --json             print the result as JSON
`

/** `factline reindex`. */
export async function runReindexCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dimensions: { type: 'string' },
      'batch-size': { type: 'string' },
      force: { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    out(REINDEX_HELP)
    return 0
  }
  const env = configFromEnv()
  const dimensionsFlag = integerFlag('--dimensions', values.dimensions)
  const batchSize = integerFlag('--batch-size', values['batch-size'])
  const logger = createJsonLogger(env.logLevel)
  const handle = await openDatabase(
    undefined,
    { ...env, databaseUrl: values['database-url'] ?? env.databaseUrl, dataDir: values['data-dir'] ?? env.dataDir },
    { startupWaitMs: env.startupWaitMs, logger },
  )
  try {
    await assertSeesAllUsers(handle, "factline reindex re-embeds every user's facts and excerpts")
    const dimensions = dimensionsFlag ?? env.embeddingDimensions ?? (await readEmbeddingDimensions(handle))
    const result = await reindex(handle, targetEmbedder(env, dimensions), {
      force: values.force,
      ...(batchSize !== undefined ? { batchSize } : {}),
      logger,
    })
    if (values.json) out(`${JSON.stringify(result)}\n`)
    else {
      const from = `${result.previousEmbedder ?? 'none'} (${result.previousDimensions} dims)`
      out(
        `embedder ${from} -> ${result.embedder} (${result.dimensions} dims)${result.resumed ? ', resumed' : ''}\n` +
          `re-embedded ${result.facts} fact(s) and ${result.excerpts} excerpt(s); ` +
          `indexed ${result.indexedMessages} message(s) as ${result.indexedExcerpts} excerpt(s)\n`,
      )
    }
    return 0
  } finally {
    await handle.close()
  }
}

/** OpenAI's embedder when a key is configured, else the current offline one, at `dimensions`. */
function targetEmbedder(env: ReturnType<typeof configFromEnv>, dimensions: number): Embedder {
  const settings = openAISettingsFrom(undefined, env)
  if (!settings) return new HashEmbedder({ dimensions })
  return new OpenAIEmbedder({
    ...settings.connection,
    ...(settings.embeddingModel ? { model: settings.embeddingModel } : {}),
    dimensions,
  } as OpenAIEmbedderOptions)
}
