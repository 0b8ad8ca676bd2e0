import { describe, expect, it } from 'vitest'
import { ExtractionJobSchema } from '../../../src/extraction/extraction-job.js'

describe('ExtractionJobSchema', () => {
  it('accepts a session id and a message id', () => {
    expect(ExtractionJobSchema.parse({ sessionId: 's', throughMessageId: 3 })).toEqual({ sessionId: 's', throughMessageId: 3 })
  })

  it('rejects empty ids, non-integers and unknown keys', () => {
    for (const bad of [
      { sessionId: '', throughMessageId: 1 },
      { sessionId: 's', throughMessageId: 1.5 },
      { sessionId: 's', throughMessageId: -1 },
      { sessionId: 's', throughMessageId: 1, userId: 'someone-else' },
      null,
    ]) {
      expect(ExtractionJobSchema.safeParse(bad).success).toBe(false)
    }
  })
})
