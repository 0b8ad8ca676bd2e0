import { parseArgs } from 'node:util'
import { databaseOptionsFrom } from '../config/components.js'
import { configFromEnv } from '../config/env.js'
import { createDb, type FactlineDb } from '../db/create-db.js'
import { assertMigrated } from '../db/migrate.js'
import { assertSeesAllUsers } from '../db/row-level-security.js'
import { FactlineError } from '../errors.js'
import { explainFact } from '../facts/explain.js'
import { forgetInTx } from '../facts/forget-fact.js'
import { isUuid } from '../assert-id.js'
import { assertScope, DEFAULT_NAMESPACE } from '../scope.js'
import { listFacts, readFactOwner } from '../facts/fact-repository.js'
import { forgetUser } from '../facts/forget-user.js'
import type { FactStatus } from '../db/schema.js'
import { itemText } from '../session/item-text.js'
import { readNewestItems } from '../session/messages-table.js'
import { findSessionsById, listSessions, sessionExists } from '../session/sessions-table.js'
import { clip, formatTable } from './table.js'
import { toJsonLine } from './terminal-text.js'
import { integerFlag, UsageError } from './cli-args.js'


export const SESSIONS_HELP = `Usage:
  factline sessions list [--user ID] [--limit N] [--json]    sessions, most recently active first
  factline sessions show SESSION_ID [--user ID] [--limit N] [--json]
                                                 a session's items, oldest first (--user: whose session,
                                                 needed on Citus when several users use the id)
Environment: DATABASE_URL (else embedded PGlite in $FACTLINE_DATA_DIR or .factline/pglite).
`

export const FACTS_HELP = `Usage:
  factline facts list --user ID [--namespace NS] [--status active|superseded|retracted|forgotten|all] [--json]
  factline facts explain FACT_ID [--json]         where a fact came from, its history and what it replaced
  factline facts forget FACT_ID [--reason TEXT] [--chain]
                                                 erase a fact's content and its earlier versions' (tombstones
                                                 stay); --chain also erases the versions that replaced it
  factline facts forget --user ID                 delete everything stored about a user
Environment: DATABASE_URL (else embedded PGlite in $FACTLINE_DATA_DIR or .factline/pglite).
`

type Out = (text: string) => void

const COMMON_OPTIONS = {
  user: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const

/** Splits `<sub> [args…]` and parses the flags every data command shares plus its own; unknown flags are usage errors. */
function parseSubcommand<O extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(argv: string[], own: O) {
  const [sub, ...rest] = argv
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { ...COMMON_OPTIONS, ...own } })
  return { sub, values, positionals }
}

async function openDb(): Promise<FactlineDb> {
  const env = configFromEnv()
  const handle = await createDb(databaseOptionsFrom(undefined, env))
  try {
    await assertMigrated(handle)
    // An operator's tool: as a role the policies filter it would list nothing and forget nothing.
    await assertSeesAllUsers(handle, "factline's data commands read and erase any user's rows")
  } catch (error) {
    await handle.close()
    throw error
  }
  return handle
}

async function withDb<T>(fn: (handle: FactlineDb) => Promise<T>): Promise<T> {
  const handle = await openDb()
  try {
    return await fn(handle)
  } finally {
    await handle.close()
  }
}

function limitOf(value: string | undefined, fallback: number): number {
  return integerFlag('--limit', value) ?? fallback
}

function onePositional(positionals: string[], name: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`expected exactly one ${name}, got ${positionals.length}`)
  return positionals[0]
}

/** `factline sessions list|show`. */
export async function runSessionsCommand(argv: string[], out: Out): Promise<number> {
  const { sub, values, positionals } = parseSubcommand(argv, {})
  if (values.help || sub === undefined || sub === '--help') {
    out(SESSIONS_HELP)
    return sub === undefined ? 2 : 0
  }
  if (sub === 'list') {
    if (positionals.length > 0) throw new UsageError(`sessions list takes no positional arguments, got "${positionals[0]}"`)
    const rows = await withDb(({ db }) => listSessions(db, { userId: values.user, limit: limitOf(values.limit, 50) }))
    if (values.json) {
      out(toJsonLine(rows))
    } else {
      out(formatTable(['SESSION', 'USER', 'NAMESPACE', 'ITEMS', 'UPDATED'], rows.map((r) => [r.sessionId, r.userId ?? '-', r.namespace, String(r.items), r.updatedAt.toISOString()])))
    }
    return 0
  }
  if (sub === 'show') {
    const sessionId = onePositional(positionals, 'SESSION_ID')
    const rows = await withDb(async ({ db }) => {
      const found = values.user === undefined ? await findSessionsById(db, sessionId) : [{ sessionId, userId: values.user }]
      const session = found[0]
      if (!session || !(await sessionExists(db, session))) throw new FactlineError('not_found', `no session ${JSON.stringify(sessionId)}`)
      if (found.length > 1) {
        throw new FactlineError('invalid_argument', `several users have a session ${JSON.stringify(sessionId)}; name one with --user`)
      }
      return readNewestItems(db, session, limitOf(values.limit, 100))
    })
    if (values.json) {
      out(toJsonLine(rows.map((r) => ({ messageId: r.id, createdAt: r.createdAt, item: r.item }))))
    } else {
      out(formatTable(['ID', 'ROLE', 'TEXT'], rows.map((r) => {
        const t = itemText(r.item)
        return [String(r.id), t.role, clip(t.text, 100)]
      })))
    }
    return 0
  }
  throw new UsageError(`unknown sessions subcommand "${sub}" (expected list or show)`)
}

const STATUSES = ['active', 'superseded', 'retracted', 'forgotten', 'all'] as const

/** `factline facts list|explain|forget`. */
export async function runFactsCommand(argv: string[], out: Out): Promise<number> {
  const { sub, values, positionals } = parseSubcommand(argv, {
    namespace: { type: 'string', default: DEFAULT_NAMESPACE },
    status: { type: 'string', default: 'active' },
    reason: { type: 'string' },
    chain: { type: 'boolean', default: false },
  } as const)
  if (values.help || sub === undefined || sub === '--help') {
    out(FACTS_HELP)
    return sub === undefined ? 2 : 0
  }
  if (sub === 'list') {
    if (!values.user) throw new UsageError('facts list needs --user ID')
    if (values.namespace.trim() === '') throw new UsageError('--namespace must not be empty')
    const status = values.status as (typeof STATUSES)[number]
    if (!STATUSES.includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, got ${values.status}`)
    const scope = { userId: values.user, namespace: values.namespace }
    assertScope(scope) // as every API entry point does: a blank or over-long id is refused, not listed as empty
    const facts = await withDb(({ db }) =>
      // No status filter means active only; `all` lists every status.
      listFacts(db, scope, {
        status: status === 'all' ? STATUSES.filter((s): s is FactStatus => s !== 'all') : (status as FactStatus),
        limit: limitOf(values.limit, 100),
      }),
    )
    if (values.json) out(toJsonLine(facts))
    else out(formatTable(['ID', 'STATUS', 'KEY', 'SINCE', 'CONTENT'], facts.map((f) => [f.id, f.status, f.key ?? '-', f.validFrom.toISOString().slice(0, 10), clip(f.content)])))
    return 0
  }
  if (sub === 'explain') {
    const factId = onePositional(positionals, 'FACT_ID')
    const why = await withDb(async (handle) => {
      // An operator's tool: look the owner up, then explain within that user's scope as the API does.
      const owner = await ownerOf(handle, factId)
      return explainFact(handle, factId, owner)
    })
    if (values.json) {
      out(toJsonLine(why))
      return 0
    }
    const f = why.fact
    out(`${f.content || '(forgotten)'}\n  id ${f.id} · user ${f.userId} · namespace ${f.namespace} · ${f.status}${f.key ? ` · key ${f.key}` : ''}\n  valid ${f.validFrom.toISOString()} → ${f.validTo?.toISOString() ?? 'now'}\n\n`)
    out('Sources:\n')
    out(formatTable(['SESSION', 'MESSAGE', 'ROLE', 'AT', 'TEXT'], why.sources.map((s) => [s.sessionId, String(s.messageId), s.role, s.createdAt.toISOString(), clip(s.text, 80)])))
    if (why.nextSourceCursor !== null) out(`(the first ${why.sources.length} of ${why.sourceCount} sources)\n`)
    out('\nHistory:\n')
    out(formatTable(['AT', 'EVENT', 'BY', 'REASON'], why.events.map((e) => [e.createdAt.toISOString(), e.type, [e.extractor, e.model, e.jobId].filter(Boolean).join(' ') || '-', e.reason ?? ''])))
    if (why.replaced.length > 0) out(`\nReplaced: ${why.replaced.map((r) => `"${r.content}" (${r.id})`).join(', ')}\n`)
    if (why.replacedBy.length > 0) out(`\nReplaced by: ${why.replacedBy.map((r) => `"${r.content}" (${r.id})`).join(' → ')}\n`)
    return 0
  }
  if (sub === 'forget') {
    if (values.user !== undefined) {
      if (positionals.length > 0) throw new UsageError('facts forget takes either FACT_ID or --user ID, not both')
      const userId = values.user
      const result = await withDb((handle) => forgetUser(handle, userId))
      out(values.json ? toJsonLine(result) : `forgot user ${userId}: ${result.sessions} sessions, ${result.messages} messages, ${result.facts} facts, ${result.events} events\n`)
      return 0
    }
    const factId = onePositional(positionals, 'FACT_ID (or --user ID)')
    const fact = await withDb(async (handle) => {
      const owner = await ownerOf(handle, factId)
      const context = { reason: values.reason ?? 'forgotten with the CLI' }
      return handle.db.transaction().execute((trx) => forgetInTx(trx, owner, factId, context, { chain: values.chain }))
    })
    out(values.json ? toJsonLine(fact) : `forgot fact ${fact.id}\n`)
    return 0
  }
  throw new UsageError(`unknown facts subcommand "${sub}" (expected list, explain or forget)`)
}

async function ownerOf(handle: FactlineDb, factId: string): Promise<{ userId: string; namespace: string }> {
  const owner = isUuid(factId) ? await readFactOwner(handle.db, factId) : undefined
  if (!owner) throw new FactlineError('not_found', `no fact ${JSON.stringify(factId)}`)
  return owner
}
