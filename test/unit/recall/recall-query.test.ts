import { describe, expect, it } from 'vitest'
import type { FactlineDb } from '../../../src/db/create-db.js'
import { resolveTableNames, type TableNameOptions } from '../../../src/db/table-names.js'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import { recallFacts } from '../../../src/recall/recall.js'
import { compileOnlyDb } from '../../helpers/dummy-db.js'

/** Runs recallFacts on a database that only records the statements it is sent. */
async function statementsOf(tables: TableNameOptions = {}): Promise<string[]> {
  const statements: string[] = []
  const db = compileOnlyDb(tables, (sql) => statements.push(sql))
  const handle: FactlineDb = { db, tables: resolveTableNames(tables), backend: 'postgres', close: () => db.destroy() }
  await recallFacts(handle, new HashEmbedder({ dimensions: 8 }), { userId: "u'1", namespace: 'ns%', query: 'where do I deploy?', kinds: ['infra'] })
  await handle.close()
  return statements
}

describe('recallFacts statement', () => {
  it('is one statement whose materialized CTE carries the scope', async () => {
    const statements = await statementsOf()
    expect(statements).toHaveLength(1)
    expect(statements[0]).toMatch(
      /^with "scoped" as materialized \(select .* from "facts" where "facts"\."user_id" = \$1 and "facts"\."namespace" = \$2 and "facts"\."status" in \(\$3\) and "facts"\."kind" in \(\$4\)\)/,
    )
    // The rankings read the materialized rows; the table is read again only for the k winners, scoped too.
    expect(statements[0]?.match(/from "facts"/g)).toHaveLength(2)
    expect(statements[0]?.match(/from "facts" where "facts"\."user_id" = \$\d+ and "facts"\."namespace" = \$\d+/g)).toHaveLength(2)
    expect(statements[0]).toContain('left join lateral')
  })

  it('follows renamed tables everywhere, sources included', async () => {
    const [statement] = await statementsOf({ facts: 'my_facts', factSources: 'my_sources', messages: 'my_messages' })
    expect(statement).toContain('from "my_facts" where "my_facts"."user_id" = $1')
    expect(statement).toContain(
      'from "my_sources" inner join "my_messages" on "my_messages"."user_id" = "my_sources"."user_id" and "my_messages"."id" = "my_sources"."message_id"',
    )
    expect(statement).not.toMatch(/"(facts|fact_sources|agent_messages)"/)
  })
})
