import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'

/**
 * Result columns that hold int8 values: bigserial ids (`agent_messages.id`, `fact_events.id`),
 * `fact_sources.message_id`, `extracted_through`, and the aliases factline gives int8 aggregates
 * (`first_id`, `last_id`, `newest`, and counts as `n` / `items`).
 */
export const INT8_COLUMNS: ReadonlySet<string> = new Set([
  'id',
  'message_id',
  'extracted_through',
  'first_id',
  'last_id',
  'newest',
  'n',
  'items',
])

const DIGITS = /^-?\d+$/

/**
 * Turns the int8 columns of every result row into numbers, so no caller converts them again.
 * pg returns int8 as a string and PGlite as a number (a bigint past 2^53), whoever opened the
 * connection, so this has to happen above the driver. Only integer-shaped values of the listed
 * columns change: `facts.id` is also called `id` but is a uuid, which never matches.
 */
export class Int8ColumnsPlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const { rows } = args.result
    if (rows.length === 0 || !Object.keys(rows[0]!).some((key) => INT8_COLUMNS.has(key))) return args.result
    return { ...args.result, rows: rows.map(toNumbers) }
  }
}

function toNumbers(row: UnknownRow): UnknownRow {
  let out: Record<string, unknown> | undefined
  for (const key of Object.keys(row)) {
    if (!INT8_COLUMNS.has(key)) continue
    const value = row[key]
    if (typeof value === 'bigint' || (typeof value === 'string' && DIGITS.test(value))) {
      out ??= { ...row }
      out[key] = toSafeNumber(value, key)
    }
  }
  return out ?? row
}

function toSafeNumber(value: string | bigint, column: string): number {
  const n = Number(value)
  // Past 2^53 a number would silently name another row; no factline id or count gets there.
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 column ${column} holds ${String(value)}, beyond 2^53`)
  return n
}
