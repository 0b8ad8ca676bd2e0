import { describe, expect, it } from 'vitest'
import {
  encodeSessionIdForJob,
  extractionDedupId,
  extractionJobId,
} from '../../../src/queue/job-ids.js'

describe('extractionJobId', () => {
  it('is deterministic: extract-<session>-<through>', () => {
    expect(extractionJobId('chat-42', 17)).toBe('extract-chat-42-17')
    expect(extractionJobId('chat-42', 17)).toBe(extractionJobId('chat-42', 17))
  })

  it('never contains a colon and is never all digits', () => {
    for (const sessionId of ['a:b', ':', '12345', '0', 'user:1:session:2']) {
      const id = extractionJobId(sessionId, 9)
      expect(id).not.toContain(':')
      expect(id).not.toMatch(/^\d+$/)
    }
  })

  it('keeps distinct sessions distinct, even ones that look like encodings', () => {
    const ids = ['a:b', 'a%3Ab', 'a-b', 'a', 'a-1', 'ü', '%C3%BC'].map((s) => extractionJobId(s, 1))
    expect(new Set(ids).size).toBe(ids.length)
    expect(extractionJobId('a-1', 2)).not.toBe(extractionJobId('a', 12))
    expect(encodeSessionIdForJob('a:b')).toBe('a%3Ab')
  })

  it('shares one deduplication id across a session\'s jobs', () => {
    expect(extractionDedupId('a:b')).toBe('extract-a%3Ab')
    expect(extractionDedupId('a:b')).not.toBe(extractionDedupId('a%3Ab'))
  })
})
