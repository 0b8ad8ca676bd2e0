import type { AgentInputItem } from '@openai/agents'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { Database } from '../db/schema.js'
import { createHash } from 'node:crypto'
import { assertId } from '../assert-id.js'
import { tenantOf, type SessionRef } from '../tenant.js'
import { FactlineError, parseOrThrow } from '../errors.js'
import { DEFAULT_MAX_BATCH_BYTES, decodeItem, encodeItems, type ItemLimits } from './item-codec.js'
import { assertJsonValue } from './json-value.js'
import {
  deleteItems,
  findFunctionCallIds,
  insertItems,
  readNewestItems,
  replaceItem,
  type InsertedRange,
} from './messages-table.js'

/** A validated `applyHistoryTransaction` call, its items already encoded for storage. */
export type ParsedHistoryTransaction = {
  operationId: string
  /** Sorted-key JSON of the whole transaction: equal exactly when the SDK would call two transactions equal. */
  canonical: string
} & (
  | { type: 'append_items'; items: string[] }
  | { type: 'replace_suffix'; expectedSuffix: string[]; replacement: string[] }
)

/** A validated `replace_function_call` mutation. */
export interface FunctionCallReplacement {
  callId: string
  replacement: string
}

/** The session's optional `prepareHistoryItemsForPersistenceComparison`, or identity. */
export type PrepareForComparison = (items: AgentInputItem[]) => AgentInputItem[]

const MAX_OPERATION_ID_LENGTH = 512

const itemList = z.array(z.unknown())
// Strict, like the SDK's MemorySession: an unknown field may carry meaning we would silently drop.
const TransactionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('append_items'), items: itemList }),
  z.strictObject({ type: z.literal('replace_suffix'), expectedSuffix: itemList, replacement: itemList }),
])
const MutationsSchema = z.object({
  mutations: z.array(
    // `expected` is what later SDKs send; 0.20 (like its MemorySession) does not compare it.
    z.strictObject({
      type: z.literal('replace_function_call'),
      callId: z.string().min(1),
      replacement: z.unknown(),
      expected: z.unknown().optional(),
    }),
  ),
})

/**
 * Validates a history transaction before anything is written.
 * @throws FactlineError `invalid_argument` (shape), `empty_id` (blank operation id), and from the
 * items `invalid_item` / `content_too_large`, exactly as `addItems` would.
 */
export function parseHistoryTransaction(args: unknown, limits: ItemLimits): ParsedHistoryTransaction {
  const { operationId, transaction } = readEnvelope(args)
  validateOperationId(operationId)
  if (typeof transaction === 'object' && transaction !== null) {
    // Before zod reads a field: accessors and proxies are refused without running them.
    assertJsonValue(transaction, 'transaction', limits.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES)
  }
  const t = parseOrThrow(TransactionSchema, transaction, 'invalid_argument', 'Invalid session history transaction')
  if (t.type === 'append_items') {
    const items = encodeItems(t.items, limits, 'transaction.items')
    return { operationId, type: t.type, items, canonical: canonicalJson({ type: t.type, items: items.map(decodeItem) }) }
  }
  const expectedSuffix = encodeItems(t.expectedSuffix, limits, 'transaction.expectedSuffix')
  const replacement = encodeItems(t.replacement, limits, 'transaction.replacement')
  const canonical = canonicalJson({
    type: t.type,
    expectedSuffix: expectedSuffix.map(decodeItem),
    replacement: replacement.map(decodeItem),
  })
  return { operationId, type: t.type, expectedSuffix, replacement, canonical }
}

/**
 * Validates history mutations before anything is written.
 * @throws FactlineError `invalid_argument` (shape, unknown mutation type), `invalid_item` (a
 * replacement that is not a `function_call`), `content_too_large`.
 */
export function parseHistoryMutations(args: unknown, limits: ItemLimits): FunctionCallReplacement[] {
  if (typeof args === 'object' && args !== null) {
    assertJsonValue(args, 'args', limits.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES)
  }
  const { mutations } = parseOrThrow(MutationsSchema, args, 'invalid_argument', 'Invalid session history mutations')
  const replacements = encodeItems(
    mutations.map((m) => m.replacement),
    limits,
    'mutations[].replacement',
  )
  return mutations.map((m, index) => {
    const replacement = replacements[index]
    if ((m.replacement as { type?: unknown }).type !== 'function_call') {
      throw new FactlineError('invalid_item', `mutation ${index} must replace a function_call with a function_call item`, {
        details: { index },
      })
    }
    return { callId: m.callId, replacement: replacement! }
  })
}

/**
 * Applies a parsed transaction inside the caller's transaction, which already holds the session
 * row lock: checks the operation id, then the suffix precondition, then changes history and
 * records the operation. Returns the ids inserted, or undefined when nothing was inserted.
 * @throws FactlineError `session_conflict` (operation id reused with another transaction, or
 * the stored suffix does not match); the caller rolls back, so nothing is changed.
 */
export async function applyParsedTransaction(
  trx: Kysely<Database>,
  session: SessionRef,
  tx: ParsedHistoryTransaction,
  prepare: PrepareForComparison,
  distributed: boolean,
): Promise<InsertedRange | undefined> {
  const { sessionId } = session
  const applied = await trx
    .selectFrom('agent_session_operations')
    .select('transaction_json')
    .where('user_id', '=', tenantOf(session))
    .where('session_id', '=', sessionId)
    .where('operation_id', '=', tx.operationId)
    .executeTakeFirst()
  if (applied) {
    if (applied.transaction_json === tx.canonical) return undefined
    throw operationReused(sessionId, tx.operationId)
  }

  let toInsert: string[]
  if (tx.type === 'append_items') {
    toInsert = tx.items
  } else {
    const kept = await replaceSuffix(trx, session, tx, prepare, distributed)
    toInsert = tx.replacement.slice(kept)
  }
  const inserted = toInsert.length > 0 ? await insertItems(trx, session, toInsert) : undefined
  await trx
    .insertInto('agent_session_operations')
    .values({ user_id: tenantOf(session), session_id: sessionId, operation_id: tx.operationId, transaction_json: tx.canonical })
    .execute()
  return inserted
}

/**
 * Checks the stored suffix against `expectedSuffix` and deletes what the replacement does not
 * keep. Rows the replacement repeats unchanged at its start stay in place, so their ids (and
 * any facts citing them) survive; returns how many replacement items they already cover.
 */
async function replaceSuffix(
  trx: Kysely<Database>,
  session: SessionRef,
  tx: Extract<ParsedHistoryTransaction, { type: 'replace_suffix' }>,
  prepare: PrepareForComparison,
  distributed: boolean,
): Promise<number> {
  const { sessionId } = session
  const n = tx.expectedSuffix.length
  const rows = await readNewestItems(trx, session, n)
  const stored = rows.map((r) => r.item)
  if (rows.length !== n || !itemsMatch(prepare(stored), prepare(tx.expectedSuffix.map(decodeItem)))) {
    throw new FactlineError(
      'session_conflict',
      `the last ${n} item(s) of session ${JSON.stringify(sessionId)} no longer match the transaction's expected ` +
        'suffix; history is unchanged. Re-read the session before retrying',
      { details: { sessionId, operationId: tx.operationId, reason: 'suffix_mismatch' } },
    )
  }
  let kept = 0
  while (
    kept < n &&
    kept < tx.replacement.length &&
    itemKey(stored[kept]) === itemKey(decodeItem(tx.replacement[kept]!))
  ) {
    kept++
  }
  await deleteItems(
    trx,
    session,
    rows.slice(kept).map((r) => r.id),
    distributed,
  )
  return kept
}

/**
 * Replaces stored `function_call` items by call id, as the SDK's `applySessionHistoryMutations`
 * does: the first occurrence is rewritten in place (keeping its id and position), later
 * duplicates are removed, and a call id with no stored call changes nothing.
 */
export async function replaceFunctionCalls(
  trx: Kysely<Database>,
  session: SessionRef,
  replacements: FunctionCallReplacement[],
  distributed: boolean,
): Promise<void> {
  for (const { callId, replacement } of replacements) {
    const [first, ...duplicates] = await findFunctionCallIds(trx, session, callId)
    if (first === undefined) continue
    await replaceItem(trx, session, first, replacement)
    await deleteItems(trx, session, duplicates, distributed)
  }
}

/**
 * A keyed `addItems`: an append recorded under the caller's key, so a retry with the same key
 * and items is a no-op. A hash stands for the items, so the record stays small.
 */
export function keyedAppend(idempotencyKey: unknown, items: string[]): Extract<ParsedHistoryTransaction, { type: 'append_items' }> {
  validateOperationId(idempotencyKey, 'idempotencyKey')
  const digest = createHash('sha256').update(canonicalJson({ type: 'add_items', items: items.map(decodeItem) })).digest('hex')
  return { operationId: idempotencyKey, type: 'append_items', items, canonical: `sha256:${digest}` }
}

/** An operation id (or idempotency key) already recorded for a different change. */
export function operationReused(sessionId: string, operationId: string): FactlineError {
  return new FactlineError(
    'session_conflict',
    `operation ${JSON.stringify(operationId)} was already applied to session ${JSON.stringify(sessionId)} ` +
      'with a different transaction; history is unchanged. Use a new operation id for a new change',
    { details: { sessionId, operationId, reason: 'operation_reused' } },
  )
}

/** Forgets the session's applied operations: after a clear, the same transaction applies again. */
export async function deleteOperations(trx: Kysely<Database>, session: SessionRef): Promise<void> {
  await trx
    .deleteFrom('agent_session_operations')
    .where('user_id', '=', tenantOf(session))
    .where('session_id', '=', session.sessionId)
    .execute()
}

/**
 * Reads `operationId` and `transaction` once each. A getter that throws becomes a FactlineError
 * without its message, which may hold anything (the SDK redacts it too).
 */
function readEnvelope(args: unknown): { operationId: unknown; transaction: unknown } {
  if (typeof args !== 'object' || args === null) {
    throw new FactlineError('invalid_argument', 'applyHistoryTransaction expects { operationId, transaction }')
  }
  try {
    return { operationId: Reflect.get(args, 'operationId'), transaction: Reflect.get(args, 'transaction') }
  } catch {
    throw new FactlineError('invalid_argument', 'applyHistoryTransaction arguments could not be read (a getter threw)')
  }
}

function validateOperationId(value: unknown, name = 'operationId'): asserts value is string {
  assertId(name, value, MAX_OPERATION_ID_LENGTH)
}

/** The SDK's reconciliation comparison: item by item, ignoring key order. */
function itemsMatch(actual: AgentInputItem[], expected: AgentInputItem[]): boolean {
  return actual.length === expected.length && actual.every((item, i) => itemKey(item) === itemKey(expected[i]))
}

function itemKey(item: unknown): string {
  return canonicalJson(item)
}

/** JSON with object keys sorted at every depth, so equal structures give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value !== 'object' || value === null) return value
  const record = value as Record<string, unknown>
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  )
}
