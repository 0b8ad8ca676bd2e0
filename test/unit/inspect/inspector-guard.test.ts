import { describe, expect, it } from 'vitest'
import { isLoopbackHost, sameSecret } from '../../../src/inspect/inspector-guard.js'

describe('inspector guard', () => {
  it('treats only this machine as loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['0.0.0.0', '192.168.1.4', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io', '::']) {
      expect(isLoopbackHost(host), host).toBe(false)
    }
  })

  it('compares tokens of any length without throwing', () => {
    expect(sameSecret('s3cret', 's3cret')).toBe(true)
    expect(sameSecret('s3cre', 's3cret')).toBe(false)
    expect(sameSecret('', 's3cret')).toBe(false)
    expect(sameSecret('a'.repeat(10_000), 's3cret')).toBe(false)
  })
})
