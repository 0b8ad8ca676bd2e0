import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

const KEY = 'database_id'

/**
 * A random id naming this factline database, created on first use and kept in the meta table.
 * Extraction jobs carry a tag derived from it, and the default queue name includes it, so two
 * deployments sharing one Redis never take each other's jobs.
 */
export async function readDatabaseId(db: Kysely<Database>): Promise<string> {
  const read = () => db.selectFrom('factline_meta').select('value').where('key', '=', KEY).executeTakeFirst()
  const row = await read()
  if (row) return row.value
  // Two processes starting at once both try; the first insert wins and both read it back.
  await db
    .insertInto('factline_meta')
    .values({ key: KEY, value: randomUUID() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  return (await read())!.value
}
