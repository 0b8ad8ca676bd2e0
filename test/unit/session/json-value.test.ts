import { describe, expect, it } from 'vitest'
import { assertJsonValue, MAX_JSON_DEPTH } from '../../../src/session/json-value.js'

describe('assertJsonValue', () => {
  it('accepts plain JSON data, null-prototype objects and undefined properties', () => {
    expect(() => assertJsonValue({ a: [1, 'x', true, null, { b: undefined }], c: Object.create(null) }, 'v', 1000)).not.toThrow()
  })

  it('names the path of the first value JSON would change', () => {
    expect(() => assertJsonValue({ a: [{ b: new Date(0) }] }, 'items[0]', 1000)).toThrow(
      expect.objectContaining({ code: 'invalid_item', details: { path: 'items[0].a[0].b' } }),
    )
  })

  it('stops at its budget on a graph that shares one object exponentially often', () => {
    // 2^60 paths through 60 objects: JSON.stringify would never finish; the check stops at the budget.
    let node: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 60; i++) node = { left: node, right: node }
    expect(() => assertJsonValue(node, 'v', 10_000)).toThrow(expect.objectContaining({ code: 'content_too_large' }))
  })

  it('refuses nesting past the depth limit with invalid_item, not a stack overflow', () => {
    let deep: unknown = 0
    for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = { d: deep }
    expect(() => assertJsonValue(deep, 'v', 1_000_000)).toThrow(expect.objectContaining({ code: 'invalid_item' }))
  })

  it('never puts the value in the message', () => {
    const secret = 'sk-live-123'
    try {
      assertJsonValue({ token: Symbol(secret), [secret]: new Map() }, 'v', 1000)
    } catch (error) {
      expect((error as Error).message).not.toContain(secret)
    }
  })
})
