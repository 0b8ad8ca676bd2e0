import type { AgentInputItem, SessionInputCallback } from '@openai/agents'
import { z } from 'zod'
import { countTokens, estimateTokens } from '../estimate-tokens.js'
import { parseOrThrow } from '../errors.js'

/**
 * The default token estimate: the length of the item's JSON divided by 4, rounded up.
 * It counts keys and provider data as well as text, so it errs high for ordinary messages;
 * pass `estimateTokens` (e.g. a real tokenizer) when the budget has to be tight.
 */
export function estimateTokensByLength(item: AgentInputItem): number {
  return estimateTokens(JSON.stringify(item))
}

const HistoryBudgetObject = z.strictObject({
  /** Most history items to send; 0 sends none. */
  maxItems: z.number().int().min(0).optional(),
  /** Most estimated tokens of history to send; 0 sends none. */
  maxTokens: z.number().int().min(0).optional(),
  /** Estimates one item's tokens. @defaultValue `estimateTokensByLength` (~4 characters of JSON per token) */
  estimateTokens: z
    .custom<(item: AgentInputItem) => number>((v) => typeof v === 'function', 'expected a function (item) => number')
    .optional(),
})

/** Validates a `HistoryBudget`; at least one of `maxItems` and `maxTokens` is required. */
export const HistoryBudgetSchema = HistoryBudgetObject.refine(
  (b) => b.maxItems !== undefined || b.maxTokens !== undefined,
  'give maxItems, maxTokens, or both',
)

/** How much history to keep: an item budget, a token budget, or both (each must hold). */
export type HistoryBudget = z.input<typeof HistoryBudgetSchema>
/** Options of `historyWindow`; the same as the budget it applies to each run's history. */
export type HistoryWindowOptions = HistoryBudget

/**
 * Keeps the newest part of `items` that fits `budget`, without ever splitting what the model API
 * needs together:
 * - a tool call and its result (function, computer, shell, apply_patch, program, tool search and
 *   hosted MCP approval request/response, matched on their call ids), and everything between them,
 *   so parallel calls and their results travel as one block;
 * - items a program call made (`caller: { type: 'program' }`) and that program call;
 * - a reasoning item and the item that follows it.
 *
 * A tool result whose call is nowhere in `items` would be rejected by the API, so it is dropped
 * wherever it is. Calls without a result are kept: the runner prunes those itself.
 *
 * The window is always a contiguous suffix (minus dropped orphan results): walking back from the
 * newest block, it stops at the first block that does not fit. A block larger than the whole
 * budget is therefore dropped together with everything older, and the budget is never exceeded —
 * a limit you set for the context window stays a limit. Everything else (system messages, a
 * compaction item at the start of the history) is an ordinary item and ages out like the rest.
 *
 * Returns the kept items themselves (not copies), oldest first, so the runner can tell them apart.
 * @throws FactlineError `invalid_config` for a malformed budget; `invalid_argument` when
 * `estimateTokens` returns something other than a non-negative finite number.
 */
export function trimHistory(items: readonly AgentInputItem[], budget: HistoryBudget): AgentInputItem[] {
  const b = parseOrThrow(HistoryBudgetSchema, budget, 'invalid_config', 'Invalid history budget')
  return trimParsed(items, b)
}

/**
 * Builds a `sessionInputCallback` for `run()` that sends the model only the latest history
 * within the budget (see `trimHistory`) followed by all of the turn's new input, which is never
 * trimmed and does not count against the budget. The session still stores everything.
 *
 * @example
 * ```ts
 * const session = new PostgresSession({ sessionId: 'chat-42', database: { pool } })
 * await run(agent, 'And tomorrow?', {
 *   session,
 *   sessionInputCallback: historyWindow({ maxItems: 40, maxTokens: 8000 }),
 * })
 * ```
 * @throws FactlineError `invalid_config` for malformed options (when called, not per run).
 */
export function historyWindow(options: HistoryWindowOptions): SessionInputCallback {
  const b = parseOrThrow(HistoryBudgetSchema, options, 'invalid_config', 'Invalid historyWindow options')
  return (historyItems, newItems) => [...trimParsed(historyItems, b), ...newItems]
}

type ParsedBudget = z.output<typeof HistoryBudgetSchema>

function trimParsed(items: readonly AgentInputItem[], b: ParsedBudget): AgentInputItem[] {
  const { links, orphans } = findLinks(items)
  const estimate = b.estimateTokens ?? estimateTokensByLength
  const maxItems = b.maxItems ?? Infinity
  const maxTokens = b.maxTokens ?? Infinity

  // A cut just before index i is allowed only if no link spans it; covered[i] counts those that do.
  const covered = new Array<number>(items.length + 1).fill(0)
  for (const [from, to] of links) {
    covered[from + 1]! += 1
    covered[to + 1]! -= 1
  }
  for (let i = 1; i <= items.length; i++) covered[i]! += covered[i - 1]!

  let start = items.length
  let usedItems = 0
  let usedTokens = 0
  let end = items.length
  while (end > 0) {
    let blockStart = end - 1
    while (blockStart > 0 && covered[blockStart]! > 0) blockStart--
    let blockItems = 0
    let blockTokens = 0
    for (let i = blockStart; i < end; i++) {
      if (orphans.has(i)) continue
      blockItems++
      if (maxTokens !== Infinity) blockTokens += countTokens(estimate, items[i]!, `history item ${i}`, { index: i })
    }
    if (usedItems + blockItems > maxItems || usedTokens + blockTokens > maxTokens) break
    usedItems += blockItems
    usedTokens += blockTokens
    start = blockStart
    end = blockStart
  }
  return items.slice(start).filter((_, offset) => !orphans.has(start + offset))
}

const RESULT_TYPE_BY_CALL_TYPE: Readonly<Record<string, string>> = {
  function_call: 'function_call_result',
  computer_call: 'computer_call_result',
  shell_call: 'shell_call_output',
  apply_patch_call: 'apply_patch_call_output',
  program: 'program_output',
}
const RESULT_TYPES = new Set(Object.values(RESULT_TYPE_BY_CALL_TYPE))

type Rec = Record<string, unknown>
const asRecord = (v: unknown): Rec | undefined => (typeof v === 'object' && v !== null ? (v as Rec) : undefined)
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)

/**
 * Pairs every call with its result the way the SDK correlates them (runner/toolResultCorrelation),
 * and returns index pairs [earlier, later] that must stay together, plus results with no call.
 */
function findLinks(items: readonly AgentInputItem[]): { links: Array<[number, number]>; orphans: Set<number> } {
  const links: Array<[number, number]> = []
  const orphans = new Set<number>()
  const openCalls = new Map<string, number[]>()
  const programs = new Map<string, number>()
  const openSearches: Array<{ index: number; keys: Array<string | undefined> }> = []
  let pendingReasoning: number[] = []

  const open = (key: string, index: number) => {
    const list = openCalls.get(key)
    if (list) list.push(index)
    else openCalls.set(key, [index])
  }
  const close = (key: string, index: number): boolean => {
    const call = openCalls.get(key)?.shift()
    if (call === undefined) return false
    links.push([call, index])
    return true
  }

  items.forEach((item, index) => {
    const r = item as unknown as Rec
    const type = r.type
    for (const reasoning of pendingReasoning) links.push([reasoning, index])
    pendingReasoning = type === 'reasoning' ? [...pendingReasoning, index] : []

    const caller = asRecord(r.caller)
    const callerId = caller?.type === 'program' ? nonEmpty(caller.callerId) : undefined
    const program = callerId === undefined ? undefined : programs.get(callerId)
    if (program !== undefined) links.push([program, index])

    const callId = nonEmpty(r.callId)
    if (typeof type === 'string' && RESULT_TYPE_BY_CALL_TYPE[type] && callId) {
      if (type === 'program') programs.set(callId, index)
      open(`${RESULT_TYPE_BY_CALL_TYPE[type]}:${callId}`, index)
    } else if (typeof type === 'string' && RESULT_TYPES.has(type) && callId) {
      if (!close(`${type}:${callId}`, index)) orphans.add(index)
    } else if (type === 'tool_search_call') {
      openSearches.push({ index, keys: [toolSearchCallId(r), nonEmpty(r.id)] })
    } else if (type === 'tool_search_output') {
      // As the runner pairs them: by provider call id, else with the oldest unanswered search.
      const key = toolSearchCallId(r)
      const at = openSearches.findIndex((s) => key === undefined || s.keys.includes(key))
      if (at >= 0) links.push([openSearches.splice(at, 1)[0]!.index, index])
      else if (toolSearchExecution(r) !== 'server') orphans.add(index)
    } else if (type === 'hosted_tool_call') {
      const providerData = asRecord(r.providerData)
      if (r.name === 'mcp_approval_request' || providerData?.type === 'mcp_approval_request') {
        const id = nonEmpty(providerData?.id) ?? nonEmpty(r.id)
        if (id) open(`mcp_approval_response:${id}`, index)
      } else if (r.name === 'mcp_approval_response') {
        const id = nonEmpty(providerData?.approval_request_id)
        if (id && !close(`mcp_approval_response:${id}`, index)) orphans.add(index)
      }
    }
  })
  return { links, orphans }
}

function toolSearchCallId(r: Rec): string | undefined {
  const providerData = asRecord(r.providerData)
  return nonEmpty(providerData?.call_id) ?? nonEmpty(providerData?.callId) ?? nonEmpty(r.call_id) ?? nonEmpty(r.callId)
}

function toolSearchExecution(r: Rec): unknown {
  return r.execution ?? asRecord(r.providerData)?.execution
}
