import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { createDb } from '../../src/db/create-db.js'
import { distributeTables } from '../../src/db/distribute.js'
import { migrate } from '../../src/db/migrate.js'
import { quoteIdent } from '../../src/db/table-names.js'
import { redact } from './service-detection.js'
import { TEST_EMBEDDING_DIMENSIONS } from './test-env.js'

/** A node of the cluster, as the coordinator's `pg_dist_node` lists it. */
export interface CitusNode {
  host: string
  port: number
  /** 0 for the coordinator. */
  groupId: number
}

/** `url` with its host and port replaced: how a test reaches a worker with the coordinator's role. */
export function nodeUrl(url: string, node: Pick<CitusNode, 'host' | 'port'>): string {
  const u = new URL(url)
  u.hostname = node.host
  u.port = String(node.port)
  return u.toString()
}

/** The active primary nodes of the database at `url` (coordinator first). */
export async function citusNodes(url: string): Promise<CitusNode[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ host: string; port: number; group_id: number }>(
      `select nodename as host, nodeport as port, groupid as group_id from pg_dist_node
       where noderole = 'primary' and isactive order by groupid`,
    )
    return rows.map((r) => ({ host: r.host, port: Number(r.port), groupId: Number(r.group_id) }))
  } finally {
    await client.end()
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Creates `<prefix>_<random>` on the cluster whose coordinator `adminUrl` points at, with the same
 * nodes but no tables. Citus keeps its metadata per database, so the new one gets the citus and
 * vector extensions on every node (on a worker before it joins: a joined worker refuses DDL) and
 * its own node list. `drop` removes it from every node (Citus 13 propagates both).
 */
export async function createCitusDatabase(adminUrl: string, prefix = 'factline_citus'): Promise<{ url: string; drop: () => Promise<void> }> {
  const dbName = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const nodes = await citusNodes(adminUrl)
  const workers = nodes.filter((n) => n.groupId !== 0)
  if (workers.length === 0) throw new Error(`the Citus coordinator at ${redact(adminUrl)} has no workers (citus_add_node)`)
  const admin = new URL(adminUrl)
  const coordinator = nodes.find((n) => n.groupId === 0) ?? { host: admin.hostname, port: Number(admin.port || 5432) }
  const url = new URL(adminUrl)
  url.pathname = `/${dbName}`

  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  await client.query('set citus.enable_create_database_propagation to on')
  const drop = async () => {
    // A worker may still hold a backend of the database for a moment after its coordinator session ended.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`drop database if exists ${dbName} with (force)`)
        break
      } catch (error) {
        if (attempt === 5) {
          console.warn(`could not drop the Citus test database ${dbName}: ${(error as Error).message}`)
          break
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt))
      }
    }
    await client.end().catch(() => {})
  }
  try {
    await client.query(`create database ${dbName}`)
    for (const worker of workers) {
      await withClient(nodeUrl(url.toString(), worker), (c) => c.query('create extension if not exists citus; create extension if not exists vector'))
    }
    await withClient(url.toString(), async (c) => {
      await c.query('create extension if not exists citus; create extension if not exists vector')
      await c.query('select citus_set_coordinator_host($1, $2)', [coordinator.host, coordinator.port])
      for (const worker of workers) await c.query('select citus_add_node($1, $2)', [worker.host, worker.port])
    })
    return { url: url.toString(), drop }
  } catch (error) {
    await drop()
    throw error
  }
}

/**
 * The run's database on the Citus cluster: created beside `adminUrl`'s, migrated, and distributed
 * as `factline migrate --distributed` does. Dropping it is the caller's, at the end of the run.
 */
export async function createCitusRunDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  let created: { url: string; drop: () => Promise<void> } | undefined
  try {
    created = await createCitusDatabase(adminUrl)
    const handle = await createDb({ url: created.url })
    try {
      await migrate(handle, { embeddingDimensions: TEST_EMBEDDING_DIMENSIONS })
      await distributeTables(handle)
    } finally {
      await handle.close()
    }
    return created
  } catch (error) {
    await created?.drop()
    throw new Error(`preparing a Citus test database on ${redact(adminUrl)} failed: ${(error as Error).message}`, { cause: error })
  }
}

/** Rows of one user found in one shard, read on the worker that holds it. */
export interface ShardRows {
  table: string
  shard: string
  node: string
  rows: number
}

/**
 * Counts `userId`'s rows in every shard of `tables`, reading each worker directly (shard tables
 * are named `<table>_<shardid>`), not through the coordinator's planner: what is physically left.
 */
export async function userRowsOnWorkers(citusUrl: string, tables: readonly string[], userId: string): Promise<ShardRows[]> {
  const placements = await withClient(citusUrl, async (c) => {
    const { rows } = await c.query<{ table_name: string; shard_id: string; host: string; port: number }>(
      `select s.logicalrelid::regclass::text as table_name, s.shardid::text as shard_id, n.nodename as host, n.nodeport as port
       from pg_dist_shard s
       join pg_dist_placement p on p.shardid = s.shardid
       join pg_dist_node n on n.groupid = p.groupid
       where s.logicalrelid = any (select to_regclass(t) from unnest($1::text[]) t)
       order by n.nodeport, s.shardid`,
      [tables],
    )
    return rows
  })
  if (placements.length === 0) throw new Error(`no shard placements found for ${tables.join(', ')}: are they distributed?`)
  const byNode = new Map<string, typeof placements>()
  for (const p of placements) byNode.set(`${p.host}:${p.port}`, [...(byNode.get(`${p.host}:${p.port}`) ?? []), p])
  const found: ShardRows[] = []
  for (const [node, shards] of byNode) {
    const [host, port] = [shards[0]!.host, Number(shards[0]!.port)]
    const union = shards
      .map((s, i) => `select ${i} as i, count(*)::int as n from ${quoteIdent(`${s.table_name}_${s.shard_id}`)} where user_id = $1`)
      .join(' union all ')
    const counts = await withClient(nodeUrl(citusUrl, { host, port }), (c) => c.query<{ i: number; n: number }>(union, [userId]))
    for (const { i, n } of counts.rows) {
      const shard = shards[i]!
      found.push({ table: shard.table_name, shard: `${shard.table_name}_${shard.shard_id}`, node, rows: n })
    }
  }
  return found
}
