import { z } from 'zod'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { FactlineError, isFactlineError, parseOrThrow, type FactlineErrorCode } from '../../src/errors.js'

describe('FactlineError', () => {
  it('carries a stable code, details and cause', () => {
    const cause = new Error('root')
    const error = new FactlineError('not_found', 'no such fact', { details: { id: 'f1' }, cause })
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ name: 'FactlineError', code: 'not_found', details: { id: 'f1' }, cause })
    expect(isFactlineError(error, 'not_found')).toBe(true)
    expect(isFactlineError(error, 'empty_id')).toBe(false)
    expectTypeOf(error.code).toEqualTypeOf<FactlineErrorCode>()
  })

  it('turns zod failures into a typed error with the issues attached', () => {
    const schema = z.strictObject({ limit: z.number().int() })
    try {
      parseOrThrow(schema, { limit: 'ten' }, 'invalid_config', 'Bad options')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(FactlineError)
      expect((error as FactlineError).message).toMatch(/^Bad options: /)
      expect((error as FactlineError).message).toContain('limit')
      expect((error as FactlineError).details.issues).toHaveLength(1)
    }
  })
})
