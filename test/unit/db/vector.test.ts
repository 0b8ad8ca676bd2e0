import { describe, expect, it } from 'vitest'
import { parseVectorLiteral, toVectorLiteral } from '../../../src/db/vector.js'

describe('vector literals', () => {
  it('round-trips and refuses non-finite numbers', () => {
    expect(toVectorLiteral([0.5, -1, 2e-7])).toBe('[0.5,-1,2e-7]')
    expect(parseVectorLiteral('[0.5,-1,2e-7]')).toEqual([0.5, -1, 2e-7])
    expect(parseVectorLiteral('[]')).toEqual([])
    expect(() => toVectorLiteral([1, Number.NaN])).toThrow(RangeError)
  })
})
