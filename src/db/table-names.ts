import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type TableNode,
  type UnknownRow,
  SchemableIdentifierNode,
} from 'kysely'
import { z } from 'zod'
import type { Database } from './schema.js'
import { parseOrThrow } from '../errors.js'

const tableName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'lowercase letters, digits and _, starting with a letter or _, at most 48 characters')

/** Physical table names. Override them to fit an existing schema or run two factline stores side by side. */
export const TableNamesSchema = z
  .strictObject({
    /** @defaultValue 'agent_sessions' */
    sessions: tableName.default('agent_sessions'),
    /** @defaultValue 'agent_messages' */
    messages: tableName.default('agent_messages'),
    /** @defaultValue 'facts' */
    facts: tableName.default('facts'),
    /** @defaultValue 'fact_sources' */
    factSources: tableName.default('fact_sources'),
    /** @defaultValue 'fact_events' */
    factEvents: tableName.default('fact_events'),
    /** @defaultValue 'factline_meta' */
    meta: tableName.default('factline_meta'),
    /**
     * Applied history-transaction ids (see `PostgresSession.applyHistoryTransaction`).
     * @defaultValue 'agent_session_operations', or `${sessions}_operations` when `sessions` is overridden
     */
    sessionOperations: tableName.optional(),
  })
  // Derived, not fixed: a store with renamed tables, created before this table existed, must not
  // collide with a default store's table in the same schema when it upgrades.
  .transform(({ sessionOperations, ...names }) => ({
    ...names,
    sessionOperations:
      sessionOperations ?? (names.sessions === 'agent_sessions' ? 'agent_session_operations' : `${names.sessions}_operations`),
  }))
export type TableNameOptions = z.input<typeof TableNamesSchema>
export type TableNames = z.output<typeof TableNamesSchema>

/**
 * Fills in every physical table name from the options (a prefix, or names one by one).
 * @throws FactlineError `invalid_config` for a malformed name.
 */
export function resolveTableNames(input: TableNameOptions = {}): TableNames {
  return parseOrThrow(TableNamesSchema, input, 'invalid_config', 'Invalid table names')
}

const LOGICAL_TO_OPTION: Record<keyof Database, keyof TableNames> = {
  agent_sessions: 'sessions',
  agent_messages: 'messages',
  facts: 'facts',
  fact_sources: 'factSources',
  fact_events: 'factEvents',
  factline_meta: 'meta',
  agent_session_operations: 'sessionOperations',
}

/** Name of the kysely migration bookkeeping tables for a table set. */
export function migrationTableName(tables: TableNames): string {
  return tables.sessions === 'agent_sessions' ? 'factline_migrations' : `${tables.sessions}_migrations`
}

function physicalNames(tables: TableNames): Map<string, string> {
  const map = new Map<string, string>()
  for (const [logical, option] of Object.entries(LOGICAL_TO_OPTION)) {
    if (tables[option] !== logical) map.set(logical, tables[option])
  }
  return map
}

class RenameTables extends OperationNodeTransformer {
  constructor(private readonly names: Map<string, string>) {
    super()
  }

  protected override transformTable(node: TableNode): TableNode {
    const transformed = super.transformTable(node)
    const physical = this.names.get(transformed.table.identifier.name)
    if (!physical) return transformed
    const schema = transformed.table.schema
    const identifier = schema
      ? SchemableIdentifierNode.createWithSchema(schema.name, physical)
      : SchemableIdentifierNode.create(physical)
    return { ...transformed, table: identifier }
  }
}

/**
 * Maps the logical table names used throughout the code to the configured physical ones,
 * so queries are written once against `Database` whatever the tables are called.
 */
export class TableNamesPlugin implements KyselyPlugin {
  readonly #transformer: RenameTables
  readonly isIdentity: boolean

  constructor(tables: TableNames) {
    const names = physicalNames(tables)
    this.isIdentity = names.size === 0
    this.#transformer = new RenameTables(names)
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.isIdentity ? args.node : this.#transformer.transformNode(args.node)
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

/** Quotes a (validated) identifier for use inside hand-written DDL such as function bodies. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
