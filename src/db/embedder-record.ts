import type { FactlineDb } from './create-db.js'

/** The meta key naming the embedder whose vectors the facts table holds. */
export const EMBEDDER_META_KEY = 'embedder'

/**
 * Stands for the embedder of a database that had facts before factline recorded embedders: the
 * offline default of that time (`hash-v1`) or whatever OpenAI model the app configured.
 */
export const UNRECORDED_EMBEDDER = 'unrecorded'

/**
 * Which embedder made the stored vectors: the recorded id; {@link UNRECORDED_EMBEDDER} when facts
 * exist but no id was recorded (databases from before the record); undefined when there is no
 * record and no fact yet, or the tables do not exist.
 */
export async function readEmbedderRecord(handle: FactlineDb): Promise<string | undefined> {
  try {
    const row = await handle.db.selectFrom('factline_meta').select('value').where('key', '=', EMBEDDER_META_KEY).executeTakeFirst()
    if (row) return row.value
    const fact = await handle.db.selectFrom('facts').select('id').limit(1).executeTakeFirst()
    return fact ? UNRECORDED_EMBEDDER : undefined
  } catch (error) {
    // undefined_table: a new database, which migrate() is about to create.
    if ((error as { code?: unknown } | null)?.code === '42P01') return undefined
    throw error
  }
}

/**
 * Records `embedderId` as the embedder of the stored vectors unless another one is recorded
 * already (the first embedder wins: its vectors are the ones in the table), and returns the
 * record in effect. A database from before the record adopts the first embedder that opens it.
 */
export async function recordEmbedder(handle: FactlineDb, embedderId: string): Promise<string> {
  const current = await readEmbedderRecord(handle)
  if (current !== undefined && current !== UNRECORDED_EMBEDDER) return current
  await handle.db
    .insertInto('factline_meta')
    .values({ key: EMBEDDER_META_KEY, value: embedderId })
    // Two processes starting together both insert; the loser keeps the winner's record.
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  return (await readEmbedderRecord(handle)) ?? embedderId
}
