import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { resolveTableNames, TableNamesPlugin, type TableNameOptions } from '../../src/db/table-names.js'

/** A Kysely that compiles PostgreSQL but never connects: for pinning a query's SQL in unit tests. */
export function compileOnlyDb(tables: TableNameOptions = {}, onQuery?: (sql: string) => void): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    plugins: [new TableNamesPlugin(resolveTableNames(tables))],
    // DummyDriver "runs" queries (returning no rows), so executed queries can be captured too.
    ...(onQuery ? { log: (event: { query: { sql: string } }) => onQuery(event.query.sql) } : {}),
  })
}
