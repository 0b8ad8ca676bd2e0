import type { AgentInputItem, CallModelInputFilterArgs } from '@openai/agents'
import { describe, expect, it } from 'vitest'
import { prepareMemoryContext, queryText } from '../../../src/context/memory-context.js'

const fact = (id: string, content: string, day = '2026-03-01') => ({ id, content, validFrom: new Date(`${day}T12:00:00Z`) })

describe('prepareMemoryContext', () => {
  const args = (instructions?: string) =>
    ({ modelData: { input: [], instructions }, agent: {} as never, context: undefined }) as CallModelInputFilterArgs

  it('recalls once with the new input and injects the block into every model call', async () => {
    const queries: string[] = []
    const ctx = await prepareMemoryContext({
      input: 'Where do we deploy?',
      recall: async (q) => {
        queries.push(q)
        return [fact('f-9', 'Deploys to Hetzner')]
      },
    })
    const first = await ctx.callModelInputFilter(args('Base.'))
    const second = await ctx.callModelInputFilter(args('Other agent after a handoff.'))
    expect(queries).toEqual(['Where do we deploy?'])
    expect(first.instructions).toMatch(/^Base\.\n\n## What you know about this user/)
    expect(second.instructions).toContain('Deploys to Hetzner')
  })

  it('returns the model data untouched when nothing is relevant', async () => {
    const ctx = await prepareMemoryContext({ input: 'hello', recall: async () => [] })
    const data = args('Base.')
    expect(await ctx.callModelInputFilter(data)).toBe(data.modelData)
  })

  it("runs the caller's own filter first", async () => {
    const ctx = await prepareMemoryContext({
      input: 'q',
      recall: async () => [fact('f-1', 'Likes tea')],
      callModelInputFilter: ({ modelData }) => ({ ...modelData, instructions: `${modelData.instructions} (filtered)` }),
    })
    expect((await ctx.callModelInputFilter(args('Base.'))).instructions).toMatch(/^Base\. \(filtered\)\n\n## /)
  })

  it('skips recall for input with no text', async () => {
    let called = false
    await prepareMemoryContext({ input: [], recall: async () => ((called = true), []) })
    expect(called).toBe(false)
  })
})

describe('queryText', () => {
  it('joins the new input with recent user and assistant text, skipping tool items', () => {
    const recent = [
      { role: 'user', content: 'We use Postgres.' },
      { type: 'function_call', name: 'f', arguments: '{}', callId: 'c' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Noted.' }] },
    ] as AgentInputItem[]
    expect(queryText('Which database?', recent)).toBe('Which database?\nWe use Postgres.\nNoted.')
  })
})
