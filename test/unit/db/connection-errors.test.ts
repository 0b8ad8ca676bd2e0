import { describe, expect, it } from 'vitest'
import { connectionFailed, describeTarget, isConnectionError } from '../../../src/db/connection-errors.js'

describe('isConnectionError', () => {
  it('recognises socket errors, connection SQLSTATEs and dropped-connection messages, also as causes', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true)
    expect(isConnectionError(Object.assign(new Error('starting up'), { code: '57P03' }))).toBe(true)
    expect(isConnectionError(Object.assign(new Error('no db'), { code: '3D000' }))).toBe(true)
    expect(isConnectionError(Object.assign(new Error('x'), { code: '08006' }))).toBe(true)
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isConnectionError(new Error('wrapped', { cause: Object.assign(new Error('r'), { code: 'ECONNRESET' }) }))).toBe(true)
    expect(isConnectionError(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]))).toBe(true)
  })

  it('does not treat statement errors as connection errors', () => {
    expect(isConnectionError(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }))).toBe(false)
    expect(isConnectionError(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false)
    expect(isConnectionError('boom')).toBe(false)
    expect(isConnectionError(undefined)).toBe(false)
  })
})

describe('connectionFailed', () => {
  it('names host, port, database and role but never the password', () => {
    const target = describeTarget('postgres://app:hunter2@db.internal:6543/memory')
    expect(target).toEqual({ host: 'db.internal', port: '6543', database: 'memory', role: 'app' })
    const error = connectionFailed(new Error('ECONNREFUSED'), target)
    expect(error.code).toBe('connection_failed')
    expect(error.message).toContain('db.internal:6543/memory as app')
    expect(error.message).not.toContain('hunter2')
    expect(error.details).toMatchObject({ retryable: true })
  })

  it('describes nothing for a malformed or absent URL', () => {
    expect(describeTarget('not a url')).toEqual({})
    expect(describeTarget(undefined)).toEqual({})
  })
})
