import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Scope } from '../scope.js'
import type { Fact } from './fact.js'
import { getFact, insertFactEvent, stripEventContent, updateFactRow } from './fact-repository.js'
import { lockFact, type WriteContext } from './fact-writes.js'
import { scopedFacts } from './scoped-facts.js'

/** Longest supersession chain followed; real chains are a handful of links. */
const MAX_CHAIN = 1000

export interface ForgetOptions {
  /**
   * Also forget the facts that replaced this one, so the whole supersession chain goes. Without it,
   * the fact and the facts it replaced (its earlier versions) are forgotten; later ones stay.
   * @defaultValue false
   */
  chain?: boolean | undefined
}

/**
 * Forgets a fact because the user asked: status `forgotten`, content emptied, key and embedding
 * removed (so it can never be recalled or matched again), and `content`/`key` stripped from its
 * earlier events; a content-free `forgotten` event is the tombstone. Sources stay linked (the
 * transcript is the session's to delete).
 *
 * The facts it replaced, transitively, are forgotten the same way: they are earlier versions of the
 * same statement, and leaving them would keep it readable through `explain(…).replaced` and
 * `recall({ includeInactive: true })`. With `chain`, the facts that replaced it go too. Facts
 * already forgotten are left as they are. Returns the named fact as it is afterwards.
 * @throws FactlineError `not_found`.
 */
export async function forgetInTx(
  db: Kysely<Database>,
  scope: Scope,
  id: string,
  context: WriteContext = {},
  options: ForgetOptions = {},
): Promise<Fact> {
  const named = await lockFact(db, scope, id)
  const head = options.chain ? await newestVersion(db, scope, named) : named
  let result = named
  for (const factId of [head.id, ...(await earlierVersions(db, scope, head.id))]) {
    const forgotten = await forgetOne(db, scope, factId, context)
    if (factId === id) result = forgotten
  }
  return result
}

async function forgetOne(db: Kysely<Database>, scope: Scope, id: string, context: WriteContext): Promise<Fact> {
  const before = await lockFact(db, scope, id)
  if (before.status === 'forgotten') return before
  const after = (await updateFactRow(db, scope, id, {
    status: 'forgotten',
    content: '',
    key: null,
    embedding: null,
    validTo: before.validTo ?? new Date(),
  })) as Fact
  await stripEventContent(db, scope, id)
  await insertFactEvent(db, scope, {
    factId: id,
    type: 'forgotten',
    before: { status: before.status },
    after: { status: 'forgotten' },
    reason: context.reason,
    meta: context.meta,
  })
  return after
}

/** The last fact of the chain that replaced `fact` (itself when nothing did), within the scope. */
async function newestVersion(db: Kysely<Database>, scope: Scope, fact: Fact): Promise<Fact> {
  const seen = new Set([fact.id])
  let current = fact
  while (current.supersededBy !== null && !seen.has(current.supersededBy) && seen.size < MAX_CHAIN) {
    const next = await getFact(db, scope, current.supersededBy, { forUpdate: true })
    if (!next) break
    seen.add(next.id)
    current = next
  }
  return current
}

/** Ids of every fact that `id` replaced, directly or through earlier replacements, within the scope. */
async function earlierVersions(db: Kysely<Database>, scope: Scope, id: string): Promise<string[]> {
  const found: string[] = []
  const seen = new Set([id])
  let frontier = [id]
  while (frontier.length > 0 && found.length < MAX_CHAIN) {
    const rows = await scopedFacts(db, scope).select('facts.id').where('facts.superseded_by', 'in', frontier).orderBy('facts.id').execute()
    frontier = rows.map((r) => r.id).filter((rowId) => !seen.has(rowId))
    for (const rowId of frontier) seen.add(rowId)
    found.push(...frontier)
  }
  return found
}
