import type { TableNames } from '../src/db/table-names.js'

/** What a migration needs to know beyond the database itself. */
export interface MigrationSettings {
  tables: TableNames
  /** Dimension of the `facts.embedding` vector column, fixed when the table is created. */
  embeddingDimensions: number
}
