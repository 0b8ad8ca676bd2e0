import { randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject } from 'vitest'
import type { Database } from '../../../../src/db/schema.js'
import { FactlineError, type FactlineErrorCode } from '../../../../src/errors.js'

/** What a corpus call must do: fail with one of these codes, or succeed (a correct result). */
export type Expected = FactlineErrorCode | readonly FactlineErrorCode[] | 'ok'

export interface CorpusCase {
  name: string
  call: () => unknown
  expected: Expected
  /** Checks a successful result further. */
  check?: (value: unknown) => void
}

/** Identifiers no entry point may accept, with the code each must give when it arrives as an id. */
export const BAD_IDS: ReadonlyArray<[label: string, value: unknown, code: readonly FactlineErrorCode[]]> = [
  ['empty', '', ['empty_id', 'unknown_user', 'invalid_argument']],
  ['blank', '   ', ['empty_id', 'unknown_user', 'invalid_argument']],
  ['NUL only', '\u0000', ['invalid_argument']],
  ['NUL inside', 'a\u0000b', ['invalid_argument']],
  ['lone high surrogate', 'chat-\uD800', ['invalid_argument']],
  ['lone low surrogate', 'chat-\uDFFF', ['invalid_argument']],
  ['reversed surrogate pair', '\uDFFF\uD800', ['invalid_argument']],
  ['over-long', 'x'.repeat(600), ['invalid_argument']],
  ['undefined', undefined, ['invalid_argument', 'unknown_user', 'empty_id']],
  ['null', null, ['invalid_argument', 'unknown_user']],
  ['number', 42, ['invalid_argument', 'unknown_user']],
  ['object', {}, ['invalid_argument', 'unknown_user']],
  ['array', ['u'], ['invalid_argument', 'unknown_user']],
]

/** Runs `call` (a sync throw counts as a rejection) and checks the outcome is typed as `expected`. */
export async function expectOutcome(c: CorpusCase): Promise<void> {
  let value: unknown
  let error: unknown
  let threw = false
  try {
    value = await c.call()
  } catch (e) {
    threw = true
    error = e
  }
  if (c.expected === 'ok') {
    expect(error, `${c.name} threw ${String(error)}`).toBeUndefined()
    c.check?.(value)
    return
  }
  expect(threw, `${c.name} should have failed`).toBe(true)
  // No raw error: a FactlineError with the expected code, whatever happened below it.
  expect(error, `${c.name}: raw ${String((error as Error)?.stack ?? error)}`).toBeInstanceOf(FactlineError)
  // Nothing a caller's getter said reaches the message (the corpus's getters throw a secret).
  expect((error as Error).message).not.toContain('sk-secret')
  const codes = typeof c.expected === 'string' ? [c.expected] : c.expected
  expect(codes, `${c.name}: got ${(error as FactlineError).code}: ${(error as Error).message}`).toContain((error as FactlineError).code)
}

/** Every stored row, as a count and a digest per table: equal snapshots mean nothing changed. */
export async function snapshot(db: Kysely<Database>): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`.execute(db)
  const out: Record<string, string> = {}
  for (const { name } of tables.rows) {
    const r = await sql<{ n: number; h: string | null }>`select count(*)::int as n,
      md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${sql.table(name)} t`.execute(db)
    out[name] = `${r.rows[0]!.n}:${r.rows[0]!.h}`
  }
  return out
}

/**
 * A PostgreSQL database of its own for the suite (created on the test server, dropped after), so
 * snapshots see only what the corpus does, and the CLI can be pointed at it.
 */
export function usePrivateDatabase(): { readonly url: string } {
  // Resolved in the hooks, not when the suite is collected: a run without PostgreSQL collects
  // (and skips) this suite, and has no database URL to build on.
  const name = `bad_input_${randomBytes(6).toString('hex')}`
  const urlOf = (database: string) => {
    const url = new URL(inject('databaseUrl'))
    url.pathname = `/${database}`
    return url.toString()
  }
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: inject('databaseUrl') })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  beforeAll(async () => {
    await admin(`create database ${name}`)
  })
  afterAll(async () => {
    await admin(`drop database if exists ${name} with (force)`)
  })
  return {
    get url() {
      return urlOf(name)
    },
  }
}
