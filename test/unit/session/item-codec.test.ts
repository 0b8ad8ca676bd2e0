import { describe, expect, it } from 'vitest'
import { decodeItem, encodeItems } from '../../../src/session/item-codec.js'

describe('encodeItems', () => {
  it('keeps \\u0000 and lone surrogates escaped so they survive a json column', () => {
    const [text] = encodeItems([{ role: 'user', content: 'a\u0000b\ud800c' }], 1000)
    expect(text).toBe('{"role":"user","content":"a\\u0000b\\ud800c"}')
    expect(decodeItem(text!)).toEqual({ role: 'user', content: 'a\u0000b\ud800c' })
  })

  it('names the offending item by index', () => {
    expect(() => encodeItems([{ role: 'user', content: 'ok' }, 'nope'], 1000)).toThrow(
      expect.objectContaining({ code: 'invalid_item', details: { index: 1 } }),
    )
  })

  it('rejects something that is not an array', () => {
    expect(() => encodeItems({ role: 'user' }, 1000)).toThrow(expect.objectContaining({ code: 'invalid_item' }))
  })

  it('measures size in UTF-8 bytes, not characters', () => {
    const item = { role: 'user', content: '😀'.repeat(100) }
    expect(() => encodeItems([item], 300)).toThrow(expect.objectContaining({ code: 'content_too_large' }))
    expect(encodeItems([item], 500)).toHaveLength(1)
  })

  it('returns a fresh object on every decode', () => {
    const [text] = encodeItems([{ role: 'user', content: 'x' }], 100)
    expect(decodeItem(text!)).not.toBe(decodeItem(text!))
  })
})
