import { describe, expect, it } from 'vitest'
import { decodeItem, encodeItems } from '../../../src/session/item-codec.js'

describe('encodeItems', () => {
  it('keeps \\u0000 and lone surrogates escaped so they survive a json column', () => {
    const [text] = encodeItems([{ role: 'user', content: 'a\u0000b\ud800c' }], { maxItemBytes: 1000 })
    expect(text).toBe('{"role":"user","content":"a\\u0000b\\ud800c"}')
    expect(decodeItem(text!)).toEqual({ role: 'user', content: 'a\u0000b\ud800c' })
  })

  it('names the offending item by index', () => {
    expect(() => encodeItems([{ role: 'user', content: 'ok' }, 'nope'], { maxItemBytes: 1000 })).toThrow(
      expect.objectContaining({ code: 'invalid_item', details: { index: 1, path: 'items[1]' } }),
    )
  })

  it('rejects something that is not an array', () => {
    expect(() => encodeItems({ role: 'user' }, { maxItemBytes: 1000 })).toThrow(expect.objectContaining({ code: 'invalid_item' }))
  })

  it('measures size in UTF-8 bytes, not characters', () => {
    const item = { role: 'user', content: '😀'.repeat(100) }
    expect(() => encodeItems([item], { maxItemBytes: 300 })).toThrow(expect.objectContaining({ code: 'content_too_large' }))
    expect(encodeItems([item], { maxItemBytes: 500 })).toHaveLength(1)
  })

  it('caps the number of items in one batch', () => {
    const items = Array.from({ length: 4 }, () => ({ role: 'user', content: 'x' }))
    expect(() => encodeItems(items, { maxItemBytes: 100, maxBatchItems: 3 })).toThrow(
      expect.objectContaining({ code: 'content_too_large', details: { items: 4, maxBatchItems: 3 } }),
    )
    expect(encodeItems(items, { maxItemBytes: 100, maxBatchItems: 4 })).toHaveLength(4)
  })

  it('caps the total bytes of one batch and names the item that crossed it', () => {
    const items = Array.from({ length: 3 }, () => ({ role: 'user', content: 'x'.repeat(80) }))
    expect(() => encodeItems(items, { maxItemBytes: 200, maxBatchBytes: 250 })).toThrow(
      expect.objectContaining({ code: 'content_too_large', details: { index: 2, maxBatchBytes: 250 } }),
    )
    expect(encodeItems(items, { maxItemBytes: 200, maxBatchBytes: 400 })).toHaveLength(3)
  })

  it('returns a fresh object on every decode', () => {
    const [text] = encodeItems([{ role: 'user', content: 'x' }], { maxItemBytes: 100 })
    expect(decodeItem(text!)).not.toBe(decodeItem(text!))
  })
})
