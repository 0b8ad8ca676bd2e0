import type { AgentInputItem } from '@openai/agents'
import { z } from 'zod'
import { assertId } from '../assert-id.js'
import { isDistributedHandle, type FactlineDb } from '../db/create-db.js'
import { isRowSecurityViolation } from '../db/row-level-security.js'
import { withUserScope } from '../db/user-scope.js'
import { parseOrThrow } from '../errors.js'
import { assertScope } from '../scope.js'
import { insertItemsWithTimes } from '../session/messages-table.js'
import { sessionConflict, sessionLookupFor, upsertSession } from '../session/sessions-table.js'
import { DEFAULT_MAX_ITEM_BYTES, encodeItems } from '../session/item-codec.js'
import type { ExtractionScheduler } from './extraction-scheduler.js'

/** Most items one `importTranscript` call takes; import a longer log in several calls. */
export const MAX_IMPORT_ITEMS = 10_000

const instant = z.union([z.date(), z.iso.datetime({ offset: true }), z.iso.date()]).transform((v) => new Date(v))

export const ImportTranscriptSchema = z.strictObject({
  sessionId: z.string().min(1).max(512),
  userId: z.string().min(1).max(512),
  namespace: z.string().min(1).max(256),
  /** When the items were said, for items without an `at` of their own. @defaultValue now */
  at: instant.optional(),
  /** Agents SDK items, oldest first, each optionally with `at`: when it was said. */
  items: z
    .array(z.looseObject({ at: instant.optional() }))
    .min(1)
    .max(MAX_IMPORT_ITEMS),
  /** Wait for extraction and indexing of the items (inline mode; a queue always only enqueues). @defaultValue true */
  wait: z.boolean().default(true),
})
export type ImportTranscriptInput = Omit<z.input<typeof ImportTranscriptSchema>, 'items' | 'namespace'> & {
  namespace?: string | undefined
  items: Array<AgentInputItem & { at?: Date | string | undefined }>
}

/** What an import stored. */
export interface ImportTranscriptResult {
  sessionId: string
  /** Ids the items were stored under, in order: the `messageId` of their excerpts and fact sources. */
  messageIds: number[]
  /** Whether extraction already ran (inline) or was only enqueued (queue). */
  extracted: boolean
}

/**
 * Imports existing history into a session with the times it was said: the items are stored with
 * those times as their `created_at` (so excerpts carry them and facts drawn from them hold from
 * then), then extraction and indexing run for them: awaited in inline mode, enqueued for the
 * workers in queue mode. The session is created for `userId` or must already belong to them.
 * @throws FactlineError `invalid_argument`, `empty_id`, `invalid_item`, `content_too_large`,
 * `session_conflict` (another user's or namespace's session; nothing is written).
 */
export async function importTranscript(
  handle: FactlineDb,
  scheduler: ExtractionScheduler,
  input: ImportTranscriptInput,
): Promise<ImportTranscriptResult> {
  const o = parseOrThrow(ImportTranscriptSchema, input, 'invalid_argument', 'Invalid transcript import')
  assertScope(o)
  assertId('sessionId', o.sessionId, 512)
  const times = o.items.map((item) => item.at ?? o.at ?? null)
  const items = o.items.map(({ at: _at, ...item }) => item)
  const encoded = encodeItems(items, { maxItemBytes: DEFAULT_MAX_ITEM_BYTES })
  const owner = { sessionId: o.sessionId, userId: o.userId, namespace: o.namespace }
  const lookup = sessionLookupFor(await isDistributedHandle(handle))
  const range = await withUserScope(handle, o.userId, async (db) => {
    // A policy cannot see a session row made by the same statement: under RLS, create it first.
    if (handle.rowLevelSecurity && !(await upsertSession(db, owner))) return undefined
    return insertItemsWithTimes(db, owner, encoded, times, lookup)
  }).catch((error: unknown) => {
    // Row-level security hides another user's session; writing to it is refused by its policy.
    if (isRowSecurityViolation(error)) return undefined
    throw error
  })
  if (!range) {
    throw sessionConflict(o.sessionId)
  }
  // The path a turn takes, so `memory.flush()` waits for imported items too (queue mode tracks them).
  await scheduler.onItemsAdded({
    sessionId: o.sessionId,
    userId: range.userId,
    namespace: range.namespace,
    firstMessageId: range.messageIds[0]!,
    lastMessageId: range.messageIds[range.messageIds.length - 1]!,
    count: range.messageIds.length,
  })
  const extracted = scheduler.mode === 'inline' && o.wait
  if (extracted) await scheduler.flush()
  return { sessionId: o.sessionId, messageIds: range.messageIds, extracted }
}
