import type { AgentInputItem } from '@openai/agents'
import { types } from 'node:util'
import { FactlineError } from '../errors.js'
import { assertJsonValue } from './json-value.js'

/** Default cap on one stored item's JSON size: far above any real message, well below PostgreSQL's 1 GB field limit. */
export const DEFAULT_MAX_ITEM_BYTES = 8 * 1024 * 1024

/** Default cap on the items of one write: far above a turn, low enough to bound one statement. */
export const DEFAULT_MAX_BATCH_ITEMS = 10_000

/**
 * Default cap on one write's total JSON size. The batch travels as one parameter, and a few
 * hundred MiB would exceed what a JavaScript string can hold.
 */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024

/** Size limits of one write. */
export interface ItemLimits {
  maxItemBytes: number
  /** @defaultValue DEFAULT_MAX_BATCH_ITEMS */
  maxBatchItems?: number | undefined
  /** @defaultValue DEFAULT_MAX_BATCH_BYTES */
  maxBatchBytes?: number | undefined
}

/**
 * Serialises items for storage, checking each one first so a bad batch writes nothing. Every
 * item must come back from JSON unchanged (see `assertJsonValue`); `path` names the list in
 * errors, e.g. `items[2].providerData.x`. JSON.stringify escapes `\u0000` and lone surrogates,
 * so the text is valid for a `json` column and parses back to the same strings.
 * @throws FactlineError `invalid_item` (not an array of objects, no `type`/`role`, a value JSON
 * would change) or `content_too_large` (one item, the item count or the batch's bytes over its limit).
 */
export function encodeItems(items: unknown, limits: ItemLimits, path = 'items'): string[] {
  const maxBatchItems = limits.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS
  const maxBatchBytes = limits.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES
  if (!Array.isArray(items) || types.isProxy(items)) {
    throw new FactlineError('invalid_item', `${path} must be an array of items, got ${describe(items)}`, { details: { path } })
  }
  if (items.length > maxBatchItems) {
    throw new FactlineError(
      'content_too_large',
      `a batch of ${items.length} items is over the ${maxBatchItems}-item limit; add them in smaller batches or raise maxBatchItems`,
      { details: { items: items.length, maxBatchItems } },
    )
  }
  // The whole list first: a hole, an accessor or a Date anywhere stops the batch before any
  // item is serialised, and no caller code (getters, toJSON) ever runs.
  assertJsonValue(items, path, maxBatchBytes)
  let total = 0
  return items.map((item, index) => {
    const text = encodeItem(item, `${path}[${index}]`, index, limits.maxItemBytes)
    total += Buffer.byteLength(text, 'utf8')
    // Checked as we go, so an oversized batch stops before the rest of it is serialised.
    if (total > maxBatchBytes) {
      throw new FactlineError(
        'content_too_large',
        `the batch is over ${maxBatchBytes} bytes of JSON by item ${index}; add items in smaller batches or raise maxBatchBytes`,
        { details: { index, maxBatchBytes } },
      )
    }
    return text
  })
}

function encodeItem(item: unknown, path: string, index: number, maxItemBytes: number): string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new FactlineError('invalid_item', `${path} must be an object, got ${describe(item)}`, {
      details: { index, path },
    })
  }
  const record = item as Record<string, unknown>
  if (typeof record.type !== 'string' && typeof record.role !== 'string') {
    throw new FactlineError(
      'invalid_item',
      `${path} has neither a string "type" nor a string "role"; it is not an Agents SDK item`,
      { details: { index, path } },
    )
  }
  // Cannot throw: assertJsonValue admitted only plain data.
  const text = JSON.stringify(item)
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > maxItemBytes) {
    throw new FactlineError(
      'content_too_large',
      `${path} is ${bytes} bytes of JSON, over the ${maxItemBytes}-byte limit; raise maxItemBytes or store less`,
      { details: { index, bytes, maxItemBytes } },
    )
  }
  return text
}

/** Parses a stored item. Every call returns a fresh object, so callers can mutate it freely. */
export function decodeItem(text: string): AgentInputItem {
  return JSON.parse(text) as AgentInputItem
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}
