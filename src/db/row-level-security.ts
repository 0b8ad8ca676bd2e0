import { sql } from 'kysely'
import { FactlineError } from '../errors.js'
import type { FactlineDb } from './create-db.js'
import type { TableNames } from './table-names.js'

/** The tables holding users' rows: each has the `factline_user_rows` policy (migration 0007). */
export function userTables(tables: TableNames): string[] {
  return [
    tables.sessions,
    tables.messages,
    tables.facts,
    tables.factSources,
    tables.factEvents,
    tables.sessionOperations,
    tables.transcriptExcerpts,
  ]
}

/**
 * Turns the policies on for every user table not yet enforcing them (DDL: the table owner, i.e.
 * the migrator, runs it). Tables already enabled are left alone, so on an up-to-date database a
 * DML-only role with `createTables` and `rowLevelSecurity` starts without attempting DDL.
 * Not FORCE: the owner and superusers still see every row, roles like `factline_app` are filtered.
 */
export async function enableRowLevelSecurity(handle: Pick<FactlineDb, 'db' | 'tables'>): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select n as name from unnest(${userTables(handle.tables)}::text[]) n
    where not exists (select 1 from pg_class c where c.oid = to_regclass(quote_ident(n)) and c.relrowsecurity)`.execute(handle.db)
  for (const { name } of rows) {
    await sql`alter table ${sql.id(name)} enable row level security`.execute(handle.db)
  }
}

/** How the policies bear on this connection's role. */
export interface RowLevelSecurityState {
  /** Tables (of the user tables) whose policies are enabled. */
  enabledTables: number
  /** Whether the policies filter this role's queries (false for owners, superusers, BYPASSRLS roles). */
  filtersThisRole: boolean
  role: string
}

export async function readRowLevelSecurity(handle: Pick<FactlineDb, 'db' | 'tables'>): Promise<RowLevelSecurityState> {
  const names = userTables(handle.tables)
  const { rows } = await sql<{ enabled: number; filtered: boolean | null; role: string }>`
    select count(*) filter (where c.relrowsecurity)::int as enabled,
           bool_or(row_security_active(c.oid)) as filtered,
           current_user::text as role
    from pg_class c
    where c.oid = any (select to_regclass(quote_ident(n)) from unnest(${names}::text[]) n)`.execute(handle.db)
  const row = rows[0]!
  return { enabledTables: Number(row.enabled), filtersThisRole: row.filtered === true, role: row.role }
}

/**
 * Checks that the database and the `rowLevelSecurity` option agree, at startup, instead of letting
 * every query come back empty:
 * - the policies filter this role but the option is off: factline would never say whose rows it
 *   wants, so every session would look empty and every write would fail;
 * - the option is on but no table enables the policies: the protection asked for is not there.
 * @throws FactlineError `invalid_config`.
 */
export async function assertRowLevelSecurityMatches(handle: FactlineDb): Promise<RowLevelSecurityState> {
  const state = await readRowLevelSecurity(handle)
  const wanted = handle.rowLevelSecurity === true
  if (state.filtersThisRole && !wanted) {
    throw new FactlineError(
      'invalid_config',
      `row-level security filters the rows of role ${JSON.stringify(state.role)}, but factline was not told to set the user: ` +
        'pass database: { rowLevelSecurity: true } (or FACTLINE_RLS=1), or connect as a role that bypasses it (the table owner, or BYPASSRLS like factline_worker)',
      { details: { role: state.role } },
    )
  }
  if (wanted && state.enabledTables === 0) {
    throw new FactlineError(
      'invalid_config',
      'rowLevelSecurity is on but no factline table enforces its policies: run `factline migrate` with FACTLINE_RLS=1 ' +
        'as the table owner (or createTables: true with rowLevelSecurity: true) to enable them',
      { details: { role: state.role } },
    )
  }
  return state
}

/**
 * Checks that this role sees every user's rows, as a worker must (its jobs and sweep name
 * sessions, not users), and as the operator's CLI commands must: under a filtered role they would
 * list nothing, and `facts forget --user` or `reindex` would quietly do nothing.
 * `who` says what needs it, e.g. "factline sessions lists every user's sessions".
 * @throws FactlineError `invalid_config` when the policies filter this role.
 */
export async function assertSeesAllUsers(
  handle: Pick<FactlineDb, 'db' | 'tables'>,
  who = "the extraction worker and the sweep read every user's sessions",
): Promise<void> {
  const state = await readRowLevelSecurity(handle)
  if (!state.filtersThisRole) return
  throw new FactlineError(
    'invalid_config',
    `${who}, but row-level security filters role ${JSON.stringify(state.role)}: ` +
      'run it as a role with BYPASSRLS (factline_worker in deploy/postgres/01-roles.sh) or as the table owner',
    { details: { role: state.role } },
  )
}

/**
 * True for PostgreSQL's refusal of a row by a policy (42501 "… violates row-level security
 * policy …"): under RLS, what writing to another user's session (or citing their message) gives.
 */
export function isRowSecurityViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null
  return e?.code === '42501' && typeof e.message === 'string' && e.message.includes('row-level security')
}
