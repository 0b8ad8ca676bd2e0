import { describe, expect, it } from 'vitest'
import { FactlineError } from '../../../src/errors.js'
import { sanitizedError, sanitizedFailure } from '../../../src/queue/job-failure.js'

describe('sanitizedFailure', () => {
  it('keeps a FactlineError to its code and problem, never its message', () => {
    const refusal = new FactlineError('extraction_failed', 'the last one was a refusal ("I will not say: secret-123")', {
      details: { problem: 'refusal', model: 'gpt-4.1-mini', attempts: 3 },
    })
    expect(sanitizedFailure(refusal)).toBe('extraction_failed (problem: refusal)')
    const http = new FactlineError('extraction_failed', 'request failed: 500 upstream said secret-123', {
      details: { problem: 'request_failed', status: 500 },
    })
    expect(sanitizedFailure(http)).toBe('extraction_failed (problem: request_failed, status: 500)')
    expect(sanitizedFailure(new FactlineError('not_found', 'session "chat-secret-123" does not exist'))).toBe('not_found')
  })

  it('keeps other errors to their name and code', () => {
    expect(sanitizedFailure(new TypeError('cannot read secret-123'))).toBe('TypeError')
    expect(sanitizedFailure(Object.assign(new Error('value "secret-123" violates constraint'), { code: '23505' }))).toBe('Error (code 23505)')
    expect(sanitizedFailure('secret-123')).toBe('Error')
    expect(sanitizedFailure(Object.assign(new Error('x'), { name: 'Bad name secret-123' }))).toBe('Error')
  })

  it('builds an error whose message and stack hold only that', () => {
    const error = sanitizedError(new Error('the model said secret-123'))
    expect(error.message).toBe('Error')
    expect(error.stack).not.toContain('secret-123')
  })
})
