import { describe, expect, it } from 'vitest'
import { compileOnlyDb } from '../../helpers/dummy-db.js'
import { nearestScopedFacts } from '../../../bench/lib/nearest-scoped-facts.js'
import { scopedFacts } from '../../../src/facts/scoped-facts.js'

const dummyDb = compileOnlyDb

describe('scopedFacts', () => {
  const scope = { userId: "u'1", namespace: 'ns%' }

  it('always emits the user_id and namespace predicate, as parameters', () => {
    const { sql, parameters } = scopedFacts(dummyDb(), scope).select('facts.id').compile()
    expect(sql).toBe('select "facts"."id" from "facts" where "facts"."user_id" = $1 and "facts"."namespace" = $2')
    expect(parameters).toEqual(["u'1", 'ns%'])
  })

  it('keeps the predicate when more filters are chained and under renamed tables', () => {
    const { sql } = scopedFacts(dummyDb({ facts: 'my_facts' }), scope)
      .select('facts.id')
      .where('facts.status', '=', 'active')
      .compile()
    expect(sql).toContain('"my_facts"."user_id" = $1 and "my_facts"."namespace" = $2 and "my_facts"."status" = $3')
  })

  it('scopes the materialized CTE of the exact vector search', async () => {
    const db = dummyDb()
    const compiled: string[] = []
    const spy = compileOnlyDb({}, (sql) => compiled.push(sql))
    await nearestScopedFacts(spy, scope, [0.1, 0.2], 5, { statuses: ['active'] })
    expect(compiled[0]).toMatch(/^with "scoped" as materialized \(select "facts"\."id", "facts"\."embedding" from "facts" where "facts"\."user_id" = \$1 and "facts"\."namespace" = \$2 and "facts"\."status" in \(\$3\)/)
    expect(compiled[0]).toContain('order by "distance"')
    await db.destroy()
  })
})
