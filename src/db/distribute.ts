import { sql, type Kysely } from 'kysely'
import { errorMessage, FactlineError } from '../errors.js'
import { connectionFailed, isConnectionError } from './connection-errors.js'
import type { FactlineDb } from './create-db.js'
import type { Database } from './schema.js'
import { quoteIdent, type TableNames } from './table-names.js'

/** The tenant column every per-user table is distributed by (migration 0008_tenant_keys). */
export const DISTRIBUTION_COLUMN = 'user_id'

/** What `distributeTables` did; every list is empty when the tables already were distributed. */
export interface DistributeResult {
  /** Tables this call distributed by `user_id`, colocated with the sessions table, in order. */
  distributed: string[]
  /** Tables this call made reference tables (one copy on every node). */
  referenced: string[]
  /** Single-node-only objects this call dropped or relaxed, one phrase each, for the log. */
  adjusted: string[]
}

/**
 * The per-user tables in foreign-key order: each is distributed after every table it references.
 * The sessions table comes first and anchors the colocation group.
 */
export function distributedTablesInOrder(tables: TableNames): string[] {
  return [
    tables.sessions,
    tables.messages,
    tables.sessionOperations,
    tables.facts,
    tables.factSources,
    tables.factEvents,
    tables.transcriptExcerpts,
  ]
}

/** True when the `citus` extension is installed in this database. */
export async function hasCitus(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`select exists (select 1 from pg_extension where extname = 'citus') as present`.execute(db)
  return rows[0]?.present === true
}

interface TableState {
  name: string
  exists: boolean
  /** `user_id` is there, not null, and part of the primary key: what migration 0008 gives every per-user table. */
  tenantKeyed: boolean
  /** 'h' hash-distributed, 'n' reference, null local. */
  method: 'h' | 'n' | null
  column: string | null
  colocationId: number | null
}

/**
 * Distributes factline's tables on Citus: every per-user table by `user_id`, colocated with the
 * sessions table (so a user's rows of every table live on one shard and a statement naming the
 * user runs on one node), and the meta table as a reference table. Kysely's migration tables stay
 * local on the coordinator. Before distributing it drops what Citus cannot enforce and only a
 * single node needs: the global unique index on session ids (on Citus a session id is unique per
 * user) and the orphan-retraction trigger on fact sources (factline then retracts in its own
 * delete transactions). The self-reference `facts(user_id, superseded_by)` loses `on delete set
 * null`, which Citus refuses on a key holding the distribution column (factline deletes facts only
 * a whole user at a time, so the rule never fires). Idempotent: distributed tables are skipped.
 * One transaction: a refusal leaves the database as it was.
 * @throws FactlineError `invalid_config` when the `citus` extension is missing, a table is
 * distributed differently, or Citus refuses a constraint (naming the table and what to do);
 * `migration_required` when a table lacks the tenant column (run `factline migrate` first).
 */
export async function distributeTables(handle: Pick<FactlineDb, 'db' | 'tables' | 'backend' | 'target'>): Promise<DistributeResult> {
  try {
    return await distributeOrThrow(handle)
  } catch (error) {
    if (isConnectionError(error)) throw connectionFailed(error, handle.target)
    throw error
  }
}

/**
 * Checks that this database can be distributed at all, before anything is changed.
 * @throws FactlineError `invalid_config` on PGlite, or when the `citus` extension is missing.
 */
export async function assertCitus(handle: Pick<FactlineDb, 'db' | 'backend'>): Promise<void> {
  if (handle.backend === 'pglite' || !(await hasCitus(handle.db))) {
    throw new FactlineError(
      'invalid_config',
      handle.backend === 'pglite'
        ? 'embedded PGlite cannot be distributed: connect to the Citus coordinator (DATABASE_URL or --database-url)'
        : 'the citus extension is not installed in this database: connect to the Citus coordinator, or run ' +
            '`create extension citus` there (and on every worker) and add the workers with citus_add_node(); see README, Scaling out',
      { details: { backend: handle.backend } },
    )
  }
}

async function distributeOrThrow(handle: Pick<FactlineDb, 'db' | 'tables' | 'backend'>): Promise<DistributeResult> {
  const { db, tables } = handle
  await assertCitus(handle)
  const perUser = distributedTablesInOrder(tables)
  const before = await readTableStates(db, [...perUser, tables.meta])
  const missing = before.filter((t) => !t.exists).map((t) => t.name)
  const unkeyed = before.filter((t) => t.exists && !t.tenantKeyed && t.name !== tables.meta).map((t) => t.name)
  if (missing.length > 0 || unkeyed.length > 0) {
    const what =
      missing.length > 0
        ? `${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist`
        : `${unkeyed.join(', ')} ${unkeyed.length === 1 ? 'lacks' : 'lack'} the tenant column in ${unkeyed.length === 1 ? 'its' : 'their'} ` +
          'primary key (migration 0008_tenant_keys not applied)'
    throw new FactlineError(
      'migration_required',
      `cannot distribute by ${DISTRIBUTION_COLUMN}: ${what}; run \`factline migrate\` first, then \`factline migrate --distributed\``,
      { details: { tables: missing.length > 0 ? missing : unkeyed } },
    )
  }
  assertDistributedAsDesigned(before, tables)

  const result: DistributeResult = { distributed: [], referenced: [], adjusted: [] }
  const pending = before.filter((t) => t.method === null)
  if (pending.length === 0) return result
  await db.transaction().execute(async (trx) => {
    // A copy of a big table may take long; the app's statement timeout is not meant for it.
    await sql`set local statement_timeout = 0`.execute(trx)
    // Two migrators at once: the second waits, then finds the tables distributed.
    await sql`select pg_advisory_xact_lock(hashtext(${`factline_distribute:${tables.sessions}`}))`.execute(trx)
    const current = await readTableStates(trx, [...perUser, tables.meta])
    if (current.every((t) => t.method !== null)) return
    result.adjusted.push(...(await dropSingleNodeOnly(trx, tables)))
    for (const table of current) {
      if (table.method !== null) continue
      const isReference = table.name === tables.meta
      await distributeOne(trx, table.name, isReference ? null : tables.sessions)
      ;(isReference ? result.referenced : result.distributed).push(table.name)
    }
    // The rows were copied to the shards; the coordinator's local copy is dead weight.
    for (const name of [...result.distributed, ...result.referenced]) {
      await sql`select truncate_local_data_after_distributing_table(${quoteIdent(name)}::regclass)`.execute(trx)
    }
  })
  return result
}

async function readTableStates(db: Kysely<Database>, names: string[]): Promise<TableState[]> {
  const rel = sql`to_regclass(quote_ident(n))`
  const { rows } = await sql<{ name: string; exists: boolean; tenant_keyed: boolean }>`
    select n as name, ${rel} is not null as exists,
      exists (
        select 1 from pg_attribute a join pg_constraint pk on pk.conrelid = a.attrelid and pk.contype = 'p'
        where a.attrelid = ${rel} and a.attname = ${DISTRIBUTION_COLUMN} and a.attnotnull and not a.attisdropped
          and a.attnum = any (pk.conkey)
      ) as tenant_keyed
    from unnest(${names}::text[]) n`.execute(db)
  const distribution = new Map<string, { method: 'h' | 'n'; column: string | null; colocationId: number }>()
  if (await hasCitus(db)) {
    const dist = await sql<{ name: string; method: 'h' | 'n'; column: string | null; colocation_id: number }>`
      select n as name, p.partmethod as method, column_to_column_name(p.logicalrelid, p.partkey) as column,
        p.colocationid as colocation_id
      from unnest(${names}::text[]) n join pg_dist_partition p on p.logicalrelid = to_regclass(quote_ident(n))`.execute(db)
    for (const r of dist.rows) distribution.set(r.name, { method: r.method, column: r.column, colocationId: Number(r.colocation_id) })
  }
  return rows.map((r) => {
    const d = distribution.get(r.name)
    return {
      name: r.name,
      exists: r.exists,
      tenantKeyed: r.tenant_keyed,
      method: d?.method ?? null,
      column: d?.column ?? null,
      colocationId: d?.colocationId ?? null,
    }
  })
}

/** A table distributed by hand some other way would break single-shard routing silently: refuse instead. */
function assertDistributedAsDesigned(states: TableState[], tables: TableNames): void {
  const anchor = states.find((t) => t.name === tables.sessions)
  for (const t of states) {
    if (t.method === null) continue
    const isReference = t.name === tables.meta
    const wrong = isReference
      ? t.method !== 'n' && `is distributed, but it must be a reference table`
      : t.method !== 'h'
        ? 'is a reference table, but it must be distributed by user_id'
        : t.column !== DISTRIBUTION_COLUMN
          ? `is distributed by ${t.column ?? '(none)'}, not by ${DISTRIBUTION_COLUMN}`
          : anchor?.colocationId != null && t.colocationId !== anchor.colocationId && `is not colocated with ${tables.sessions}`
    if (wrong) {
      throw new FactlineError(
        'invalid_config',
        `table ${t.name} ${wrong}; run \`select undistribute_table('${t.name}')\` on the coordinator, then \`factline migrate --distributed\` again`,
        { details: { table: t.name } },
      )
    }
  }
}

/** Drops (or relaxes) what only a single node can enforce; returns a phrase per change made. */
async function dropSingleNodeOnly(trx: Kysely<Database>, tables: TableNames): Promise<string[]> {
  const adjusted: string[] = []
  const index = `${tables.sessions}_session_id_key`
  const { rows: indexes } = await sql<{ present: boolean }>`select to_regclass(${quoteIdent(index)}) is not null as present`.execute(trx)
  if (indexes[0]?.present) {
    await sql`drop index ${sql.id(index)}`.execute(trx)
    adjusted.push(`dropped index ${index} (on Citus a session id is unique per user)`)
  }
  const trigger = `${tables.factSources}_retract_orphans`
  const { rows: triggers } = await sql<{ present: boolean }>`
    select exists (select 1 from pg_trigger where tgrelid = to_regclass(${quoteIdent(tables.factSources)}) and tgname = ${trigger}) as present`.execute(trx)
  if (triggers[0]?.present) {
    await sql`drop trigger ${sql.id(trigger)} on ${sql.id(tables.factSources)}`.execute(trx)
    adjusted.push(`dropped trigger ${trigger} (factline retracts orphaned facts in its delete transactions)`)
  }
  const { rows: setNull } = await sql<{ name: string }>`
    select conname as name from pg_constraint
    where contype = 'f' and conrelid = to_regclass(${quoteIdent(tables.facts)}) and confrelid = conrelid and confdeltype in ('n', 'd')`.execute(trx)
  for (const { name } of setNull) {
    await sql`alter table ${sql.id(tables.facts)} drop constraint ${sql.id(name)},
      add constraint ${sql.id(name)} foreign key (user_id, superseded_by) references ${sql.id(tables.facts)} (user_id, id)`.execute(trx)
    adjusted.push(`foreign key ${name} no longer sets superseded_by to null on delete (Citus refuses it on a distributed key)`)
  }
  return adjusted
}

async function distributeOne(trx: Kysely<Database>, table: string, colocateWith: string | null): Promise<void> {
  try {
    if (colocateWith === null) await sql`select create_reference_table(${quoteIdent(table)}::regclass)`.execute(trx)
    else if (colocateWith === table) await sql`select create_distributed_table(${quoteIdent(table)}::regclass, ${DISTRIBUTION_COLUMN})`.execute(trx)
    else {
      await sql`select create_distributed_table(${quoteIdent(table)}::regclass, ${DISTRIBUTION_COLUMN}, colocate_with => ${quoteIdent(colocateWith)})`.execute(trx)
    }
  } catch (error) {
    if (isConnectionError(error)) throw error
    const detail = (error as { detail?: unknown }).detail
    throw new FactlineError(
      'invalid_config',
      `Citus refused to distribute table ${table}: ${errorMessage(error)}${typeof detail === 'string' ? ` (${detail})` : ''}. ` +
        'Nothing was changed. On Citus every primary key, unique index and foreign key of a per-user table must include user_id ' +
        '(and a foreign key may not set it to null); change or drop the one named here (one added outside factline?), then run ' +
        '`factline migrate --distributed` again',
      { cause: error, details: { table } },
    )
  }
}
