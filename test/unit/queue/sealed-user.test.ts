import { describe, expect, it } from 'vitest'
import { jobUserKey, openUserId, sealUserId } from '../../../src/queue/sealed-user.js'

describe('sealed user ids in job payloads', () => {
  const key = jobUserKey('4f1f4b8e-8c1b-4bb0-9d7a-6b2c3e4d5f60')

  it('opens what it sealed, with a fresh nonce each time, and never shows the id', () => {
    const userId = 'alice@example.com'
    const a = sealUserId(key, userId)
    const b = sealUserId(key, userId)
    expect(a).not.toBe(b)
    for (const sealed of [a, b]) {
      expect(sealed).not.toContain('alice')
      expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(openUserId(key, sealed)).toBe(userId)
    }
    expect(openUserId(key, sealUserId(key, 'ユーザー😀'))).toBe('ユーザー😀')
  })

  it("refuses another database's key, an altered payload and garbage", () => {
    const sealed = sealUserId(key, 'bob')
    expect(openUserId(jobUserKey('another database'), sealed)).toBeUndefined()
    const bytes = Buffer.from(sealed, 'base64url')
    bytes[bytes.length - 1]! ^= 1
    expect(openUserId(key, bytes.toString('base64url'))).toBeUndefined()
    expect(openUserId(key, 'not sealed')).toBeUndefined()
    expect(openUserId(key, '')).toBeUndefined()
  })
})
