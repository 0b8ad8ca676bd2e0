import { createRequire } from 'node:module'
import pg from 'pg'
import type { CapturedStatement } from './statement-capture.js'

// pg's own conversion of a parameter to the text it sends (arrays, dates, buffers, json).
const { prepareValue, escapeLiteral } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (value: unknown) => string | Buffer | null
  escapeLiteral: (text: string) => string
}

/** How Citus plans one statement. */
export interface StatementPlan {
  statement: CapturedStatement
  /** The `Task Count` of every Citus scan in the plan (empty: no distributed table involved). */
  taskCounts: number[]
  /** The EXPLAIN text, or the error EXPLAIN raised. */
  plan: string
  error?: string
}

/** Transaction control and session settings: nothing for Citus to route. */
const CONTROL = /^\s*(begin|start\s+transaction|commit|end|rollback|savepoint|release|set|reset|show|discard|deallocate)\b/i

/** The statements worth planning: not transaction control, each distinct text once (first parameters). */
export function plannableStatements(statements: readonly CapturedStatement[]): CapturedStatement[] {
  const seen = new Map<string, CapturedStatement>()
  for (const s of statements) if (!CONTROL.test(s.text) && !seen.has(s.text)) seen.set(s.text, s)
  return [...seen.values()]
}

/**
 * EXPLAINs each statement on the cluster with its own parameters (EXPLAIN alone runs nothing) and
 * reads Citus's task counts: a statement naming one user is routed to one shard (`Task Count: 1`).
 */
export async function explainOnCitus(url: string, statements: readonly CapturedStatement[]): Promise<StatementPlan[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const plans: StatementPlan[] = []
    for (const statement of statements) {
      const explain = async (text: string, values: unknown[]) => {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${text}`, values)
        return rows.map((r) => r['QUERY PLAN']).join('\n')
      }
      try {
        let plan: string
        try {
          plan = await explain(statement.text, [...statement.values])
        } catch {
          // Citus plans some parameterized multi-CTE writes only with the values in place
          // ("could not create distributed plan"), though it runs them with parameters.
          plan = await explain(inlineParameters(statement), [])
        }
        const taskCounts = [...plan.matchAll(/Task Count: (\d+)/g)].map((m) => Number(m[1]))
        plans.push({ statement, taskCounts, plan })
      } catch (error) {
        plans.push({ statement, taskCounts: [], plan: '', error: (error as Error).message })
      }
    }
    return plans
  } finally {
    await client.end()
  }
}

/** The statement with each `$n` replaced by its value as an untyped literal, typed by its context as a parameter is. */
function inlineParameters({ text, values }: CapturedStatement): string {
  return text.replace(/\$(\d+)\b/g, (_, n: string) => {
    const value = prepareValue(values[Number(n) - 1])
    if (value === null) return 'null'
    return escapeLiteral(Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : value)
  })
}

/** True when Citus runs the statement on one shard, or touches no distributed table at all. */
export function isSingleShard(plan: StatementPlan): boolean {
  return plan.error === undefined && plan.taskCounts.every((n) => n === 1)
}

/**
 * True when Citus runs the statement in several steps, even if each touches one shard: a
 * distributed subplan (e.g. a data-modifying CTE) or an INSERT … SELECT pulled through the
 * coordinator, instead of one router query sent whole to the worker.
 */
export function isMultiStep(plan: StatementPlan): boolean {
  return /Distributed Subplan|INSERT\/SELECT method: (pull to coordinator|repartition)|MERGE INTO .* method: (pull|repartition)/.test(plan.plan)
}

/** A statement's first line (and its task counts), for a failure message listing the offenders. */
export function describePlan(plan: StatementPlan): string {
  const firstLine = plan.statement.text.trim().split('\n')[0]!.slice(0, 160)
  const steps = isMultiStep(plan) ? `, ${plan.plan.match(/Distributed Subplan/g)?.length ?? 0} subplans${/pull to coordinator/.test(plan.plan) ? ', pulled to the coordinator' : ''}` : ''
  const why = plan.error ? `EXPLAIN failed: ${plan.error}` : `Task Count ${plan.taskCounts.join(', ')}${steps}`
  return `${firstLine}  [${why}]`
}
