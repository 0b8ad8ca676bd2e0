import type { AgentInputItem, SessionInputCallback } from '@openai/agents'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { estimateTokensByLength, historyWindow, trimHistory } from '../../../src/session/history-window.js'

const user = (text: string): AgentInputItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentInputItem => ({
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text }],
})
const call = (callId: string, name = 'lookup'): AgentInputItem => ({
  type: 'function_call',
  callId,
  name,
  arguments: '{}',
})
const result = (callId: string, text = 'ok'): AgentInputItem => ({
  type: 'function_call_result',
  callId,
  name: 'lookup',
  status: 'completed',
  output: { type: 'text', text },
})
const reasoning = (text: string): AgentInputItem => ({ type: 'reasoning', content: [{ type: 'input_text', text }] })

/** Short labels so a failing assertion reads like the transcript. */
function labels(items: readonly AgentInputItem[]): string[] {
  return items.map((item) => {
    const r = item as Record<string, unknown>
    if (typeof r.role === 'string') {
      const content = r.content
      const text = typeof content === 'string' ? content : (content as Array<{ text: string }>)[0]!.text
      return `${r.role}:${text}`
    }
    if (r.type === 'reasoning') return `reasoning:${(r.content as Array<{ text: string }>)[0]!.text}`
    const id = r.callId ?? r.call_id ?? r.id ?? (r.providerData as Record<string, unknown> | undefined)?.approval_request_id
    return `${String(r.type)}${r.type === 'hosted_tool_call' ? `/${String(r.name)}` : ''}:${String(id)}`
  })
}

/** The API's rule: every result in the window has its call earlier in the window. */
function expectNoOrphanResults(items: readonly AgentInputItem[]) {
  const calls = new Set<string>()
  for (const item of items) {
    const r = item as Record<string, unknown>
    if (r.type === 'function_call') calls.add(String(r.callId))
    if (r.type === 'function_call_result') expect(calls.has(String(r.callId)), `orphan result ${String(r.callId)}`).toBe(true)
  }
}

describe('trimHistory', () => {
  it('keeps the newest items within maxItems, oldest first', () => {
    const items = [user('1'), assistant('1'), user('2'), assistant('2'), user('3'), assistant('3')]
    expect(labels(trimHistory(items, { maxItems: 3 }))).toEqual(['assistant:2', 'user:3', 'assistant:3'])
  })

  it('returns the very item objects it was given, not copies', () => {
    const items = [user('1'), assistant('1')]
    const kept = trimHistory(items, { maxItems: 5 })
    expect(kept[0]).toBe(items[0])
    expect(kept[1]).toBe(items[1])
  })

  it('returns everything when the budget is larger than the history', () => {
    const items = [user('1'), call('a'), result('a'), assistant('1')]
    expect(trimHistory(items, { maxItems: 100 })).toEqual(items)
  })

  it('returns an empty window for an empty history', () => {
    expect(trimHistory([], { maxItems: 3 })).toEqual([])
    expect(trimHistory([], { maxTokens: 10 })).toEqual([])
  })

  it('returns nothing for a zero budget', () => {
    expect(trimHistory([user('1'), assistant('1')], { maxItems: 0 })).toEqual([])
    expect(trimHistory([user('1'), assistant('1')], { maxTokens: 0 })).toEqual([])
  })

  it('drops a whole call/result pair rather than start the window with its result', () => {
    const items = [user('1'), call('a'), result('a'), assistant('1')]
    // maxItems 2 would naively give [result a, assistant 1]
    expect(labels(trimHistory(items, { maxItems: 2 }))).toEqual(['assistant:1'])
    expect(labels(trimHistory(items, { maxItems: 3 }))).toEqual(['function_call:a', 'function_call_result:a', 'assistant:1'])
  })

  it('keeps parallel tool calls and all their results together', () => {
    const items = [
      user('1'),
      call('a'),
      call('b'),
      call('c'),
      result('b'),
      result('a'),
      result('c'),
      assistant('1'),
    ]
    for (let maxItems = 0; maxItems <= items.length; maxItems++) {
      const kept = trimHistory(items, { maxItems })
      expect(kept.length).toBeLessThanOrEqual(maxItems)
      expectNoOrphanResults(kept)
      const ids = labels(kept).filter((l) => l.startsWith('function_call'))
      expect(ids.length === 0 || ids.length === 6, `window of ${maxItems}: ${ids.join(', ')}`).toBe(true)
    }
    expect(labels(trimHistory(items, { maxItems: 7 }))).toEqual(labels(items.slice(1)))
  })

  it('keeps calls that are interleaved with messages together with everything between them', () => {
    const items = [user('1'), call('a'), assistant('thinking aloud'), result('a'), assistant('1')]
    expect(labels(trimHistory(items, { maxItems: 3 }))).toEqual(['assistant:1'])
    expect(labels(trimHistory(items, { maxItems: 4 }))).toEqual(labels(items.slice(1)))
  })

  it('keeps a reasoning item with the item that follows it', () => {
    const items = [user('1'), reasoning('r1'), assistant('1'), user('2'), reasoning('r2'), reasoning('r2b'), call('a'), result('a'), assistant('2')]
    expect(labels(trimHistory(items, { maxItems: 6 }))).toEqual(['user:2', 'reasoning:r2', 'reasoning:r2b', 'function_call:a', 'function_call_result:a', 'assistant:2'])
    expect(labels(trimHistory(items, { maxItems: 5 }))).toEqual(labels(items.slice(4)))
    // 4 cannot split r2 from r2b or r2b from the call, so the whole reasoning+tool block goes
    expect(labels(trimHistory(items, { maxItems: 4 }))).toEqual(['assistant:2'])
    expect(labels(trimHistory(items, { maxItems: 8 }))).toEqual(labels(items.slice(1)))
    expect(labels(trimHistory(items, { maxItems: 7 }))).toEqual(labels(items.slice(3)))
  })

  it('keeps a trailing reasoning item on its own', () => {
    const items = [user('1'), assistant('1'), reasoning('r')]
    expect(labels(trimHistory(items, { maxItems: 1 }))).toEqual(['reasoning:r'])
  })

  it('drops results whose call is not in the history at all', () => {
    // e.g. a history that was already cut by someone else
    const items = [result('gone'), assistant('1'), user('2'), call('b'), result('b'), result('dup-of-nothing'), assistant('2')]
    const kept = trimHistory(items, { maxItems: 100 })
    expect(labels(kept)).toEqual(['assistant:1', 'user:2', 'function_call:b', 'function_call_result:b', 'assistant:2'])
    expectNoOrphanResults(kept)
  })

  it('does not count dropped orphan results against the budget', () => {
    const items = [user('1'), result('gone'), assistant('1')]
    expect(labels(trimHistory(items, { maxItems: 2 }))).toEqual(['user:1', 'assistant:1'])
  })

  it('keeps calls that have no result; the runner prunes those itself', () => {
    const items = [user('1'), call('pending')]
    expect(labels(trimHistory(items, { maxItems: 1 }))).toEqual(['function_call:pending'])
  })

  it('drops a block larger than the whole budget, and everything older', () => {
    const items = [user('1'), assistant('1'), user('2'), call('a'), call('b'), result('a'), result('b')]
    // the newest block is 4 items; older blocks must not be shown without it
    expect(trimHistory(items, { maxItems: 3 })).toEqual([])
    expect(labels(trimHistory(items, { maxItems: 4 }))).toHaveLength(4)
  })

  it('pairs a reused call id with the nearest unanswered call', () => {
    const items = [call('x'), result('x'), user('again'), call('x'), result('x')]
    expect(labels(trimHistory(items, { maxItems: 3 }))).toEqual(['user:again', 'function_call:x', 'function_call_result:x'])
    expect(labels(trimHistory(items, { maxItems: 2 }))).toEqual(['function_call:x', 'function_call_result:x'])
  })

  describe('with a token budget', () => {
    it('estimates ~4 characters of JSON per token by default', () => {
      const item = user('x'.repeat(400))
      expect(estimateTokensByLength(item)).toBe(Math.ceil(JSON.stringify(item).length / 4))
      expect(estimateTokensByLength(item)).toBeGreaterThanOrEqual(100)
    })

    it('keeps the newest items whose estimated tokens fit', () => {
      const items = [user('a'.repeat(400)), assistant('b'.repeat(400)), user('c'.repeat(40)), assistant('d'.repeat(40))]
      const small = estimateTokensByLength(items[2]!) + estimateTokensByLength(items[3]!)
      expect(trimHistory(items, { maxTokens: small })).toEqual(items.slice(2))
      expect(trimHistory(items, { maxTokens: small - 1 })).toEqual(items.slice(3))
    })

    it('uses a pluggable estimator', () => {
      const items = [user('1'), assistant('1'), user('2'), assistant('2')]
      const seen: AgentInputItem[] = []
      const estimateTokens = (item: AgentInputItem) => {
        seen.push(item)
        return 10
      }
      expect(trimHistory(items, { maxTokens: 25, estimateTokens })).toEqual(items.slice(2))
      expect(seen).toContain(items[3])
    })

    it('counts a whole tool block against the token budget', () => {
      const items = [user('q'), call('a'), result('a', 'r'.repeat(4000)), assistant('short')]
      const kept = trimHistory(items, { maxTokens: 200 })
      expect(labels(kept)).toEqual(['assistant:short'])
    })

    it('applies both budgets when both are given', () => {
      const items = [user('1'), assistant('1'), user('2'), assistant('2')]
      const estimateTokens = () => 10
      expect(trimHistory(items, { maxItems: 3, maxTokens: 100, estimateTokens })).toHaveLength(3)
      expect(trimHistory(items, { maxItems: 3, maxTokens: 15, estimateTokens })).toHaveLength(1)
    })

    it('rejects an estimator that returns a negative or non-finite number', () => {
      expect(() => trimHistory([user('1')], { maxTokens: 5, estimateTokens: () => -1 })).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      )
      expect(() => trimHistory([user('1')], { maxTokens: 5, estimateTokens: () => Number.NaN })).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      )
    })
  })

  describe('other tool call kinds', () => {
    it('pairs computer, shell and apply_patch calls with their outputs', () => {
      const items = [
        user('1'),
        { type: 'computer_call', callId: 'cc', status: 'completed', action: { type: 'screenshot' } },
        { type: 'computer_call_result', callId: 'cc', output: { type: 'computer_screenshot', data: 'x' } },
        { type: 'shell_call', callId: 'sh', status: 'completed', action: { commands: ['ls'] } },
        { type: 'shell_call_output', callId: 'sh', output: [] },
        { type: 'apply_patch_call', callId: 'ap', status: 'completed', operation: { type: 'delete_file', path: 'a' } },
        { type: 'apply_patch_call_output', callId: 'ap', status: 'completed' },
        assistant('done'),
      ] as unknown as AgentInputItem[]
      expect(labels(trimHistory(items, { maxItems: 2 }))).toEqual(['assistant:done'])
      expect(labels(trimHistory(items, { maxItems: 3 }))).toEqual(['apply_patch_call:ap', 'apply_patch_call_output:ap', 'assistant:done'])
      expect(labels(trimHistory(items, { maxItems: 4 }))).toEqual(labels(items.slice(5)))
      expect(labels(trimHistory(items, { maxItems: 6 }))).toEqual(labels(items.slice(3)))
      expect(labels(trimHistory(items.slice(2), { maxItems: 100 }))[0]).toBe('shell_call:sh')
    })

    it('pairs a hosted MCP approval request with its response', () => {
      const items = [
        user('1'),
        { type: 'hosted_tool_call', name: 'mcp_approval_request', id: 'req-1', providerData: { type: 'mcp_approval_request', id: 'req-1' } },
        assistant('waiting'),
        { type: 'hosted_tool_call', name: 'mcp_approval_response', providerData: { approve: true, approval_request_id: 'req-1' } },
        assistant('done'),
      ] as unknown as AgentInputItem[]
      expect(labels(trimHistory(items, { maxItems: 3 }))).toEqual(['assistant:done'])
      expect(labels(trimHistory(items, { maxItems: 4 }))).toEqual(labels(items.slice(1)))
      expect(labels(trimHistory(items.slice(2), { maxItems: 100 }))).toEqual(['assistant:waiting', 'assistant:done'])
    })

    it('treats a plain hosted tool call (call and output in one item) as a single item', () => {
      const items = [
        user('1'),
        { type: 'hosted_tool_call', name: 'web_search_call', id: 'ws', status: 'completed' },
        assistant('found it'),
      ] as unknown as AgentInputItem[]
      expect(labels(trimHistory(items, { maxItems: 2 }))).toEqual(['hosted_tool_call/web_search_call:ws', 'assistant:found it'])
    })

    it('pairs tool search calls and outputs by call id, else in order', () => {
      const items = [
        user('1'),
        { type: 'tool_search_call', call_id: 'ts1', execution: 'client', arguments: {} },
        { type: 'tool_search_output', call_id: 'ts1', execution: 'client', tools: [] },
        { type: 'tool_search_call', id: 'ts2', execution: 'server', arguments: {} },
        { type: 'tool_search_output', execution: 'server', tools: [] },
        assistant('done'),
      ] as unknown as AgentInputItem[]
      expect(labels(trimHistory(items, { maxItems: 2 }))).toEqual(['assistant:done'])
      expect(labels(trimHistory(items, { maxItems: 3 }))).toEqual(labels(items.slice(3)))
      expect(labels(trimHistory(items, { maxItems: 4 }))).toEqual(labels(items.slice(3)))
      expect(labels(trimHistory(items, { maxItems: 5 }))).toEqual(labels(items.slice(1)))
      // a client-executed output whose search is gone is an orphan; a server-executed one is kept
      expect(labels(trimHistory(items.slice(2), { maxItems: 100 }))).toEqual(labels(items.slice(3)))
    })

    it('keeps a program call with the tool calls it made and its output', () => {
      const program = { caller: { type: 'program', callerId: 'p1' } }
      const items = [
        user('1'),
        { type: 'program', callId: 'p1', code: 'x()', fingerprint: 'f' },
        { ...call('inner'), ...program },
        { ...result('inner'), ...program },
        { type: 'program_output', callId: 'p1', output: 'done', status: 'completed' },
        assistant('done'),
      ] as unknown as AgentInputItem[]
      for (const maxItems of [2, 3, 4]) {
        expect(labels(trimHistory(items, { maxItems }))).toEqual(['assistant:done'])
      }
      expect(labels(trimHistory(items, { maxItems: 5 }))).toEqual(labels(items.slice(1)))
    })
  })

  describe('options', () => {
    it.each<[unknown, string]>([
      [{}, 'no budget at all'],
      [{ maxItems: -1 }, 'a negative item budget'],
      [{ maxItems: 1.5 }, 'a fractional item budget'],
      [{ maxTokens: -10 }, 'a negative token budget'],
      [{ maxItems: 3, estimateTokens: 'chars' }, 'an estimator that is not a function'],
      [{ maxItem: 3 }, 'a misspelt option'],
    ])('rejects %j (%s) with invalid_config', (budget) => {
      expect(() => trimHistory([], budget as never)).toThrow(expect.objectContaining({ code: 'invalid_config' }))
      expect(() => historyWindow(budget as never)).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    })
  })
})

describe('historyWindow', () => {
  it('is a SessionInputCallback', () => {
    expectTypeOf(historyWindow({ maxItems: 1 })).toEqualTypeOf<SessionInputCallback>()
  })

  it('sends the trimmed history followed by every new item, untrimmed and uncounted', async () => {
    const callback = historyWindow({ maxItems: 2 })
    const history = [user('1'), call('a'), result('a'), assistant('1'), user('2'), assistant('2')]
    const newItems = [user('3'), user('and more'), user('and more still')]
    const combined = await callback(history, newItems)
    expect(labels(combined)).toEqual(['user:2', 'assistant:2', 'user:3', 'user:and more', 'user:and more still'])
    expect(combined[0]).toBe(history[4])
    expect(combined[2]).toBe(newItems[0])
  })

  it('passes new items through when there is no history', async () => {
    const newItems = [user('hi')]
    expect(await historyWindow({ maxItems: 10 })([], newItems)).toEqual(newItems)
  })

  it('never hands the model an orphan result at any window size', async () => {
    const history: AgentInputItem[] = []
    for (let turn = 0; turn < 6; turn++) {
      history.push(user(`q${turn}`), reasoning(`r${turn}`), call(`c${turn}a`), call(`c${turn}b`), result(`c${turn}b`), result(`c${turn}a`), assistant(`a${turn}`))
    }
    for (let maxItems = 0; maxItems <= history.length + 1; maxItems++) {
      const combined = await historyWindow({ maxItems })(history, [user('new')])
      expectNoOrphanResults(combined)
      expect(combined.length - 1).toBeLessThanOrEqual(maxItems)
      expect(labels(combined).at(-1)).toBe('user:new')
      // the window is the newest contiguous stretch of history
      const kept = combined.slice(0, -1)
      expect(kept).toEqual(history.slice(history.length - kept.length))
      // at most one whole turn's tool block short of the budget
      expect(maxItems - kept.length).toBeLessThan(6)
    }
  })
})
