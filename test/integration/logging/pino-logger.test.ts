import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type FactlineDb } from '../../../src/db/create-db.js'
import { migrate } from '../../../src/db/migrate.js'
import { adaptLogger, pinoLogger } from '../../../src/logger.js'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { uniqueId } from '../../helpers/test-env.js'

/** A real pino logger writing its JSON lines into an array. */
function capturedPino() {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { logger: pino({ level: 'debug' }, sink), lines }
}

describe('a pino logger', () => {
  let handle: FactlineDb
  beforeAll(async () => {
    handle = await createDb({ dataDir: 'memory://' })
    await migrate(handle, { embeddingDimensions: 8 })
  })
  afterAll(async () => {
    await handle.close()
  })

  it("gets factline's fields as its log object when passed as is", async () => {
    const { logger, lines } = capturedPino()
    const sessionId = uniqueId('s')
    const session = new PostgresSession({
      sessionId,
      db: handle,
      logger,
      onItemsAdded: () => {
        throw new Error('queue down')
      },
    })
    await session.addItems([{ role: 'user', content: 'hi' }])
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, sessionId, error: 'queue down', msg: 'onItemsAdded failed; the items are stored and a sweep will catch up' }),
    ])
  })

  it('keeps fields and message apart at every level through pinoLogger', () => {
    const { logger, lines } = capturedPino()
    const wrapped = pinoLogger(logger)
    wrapped.debug('d', { a: 1 })
    wrapped.info('i', { b: 2 })
    wrapped.warn('w')
    wrapped.error('e', { c: 3 })
    expect(lines.map(({ level, msg, a, b, c }) => ({ level, msg, a, b, c }))).toEqual([
      { level: 20, msg: 'd', a: 1, b: undefined, c: undefined },
      { level: 30, msg: 'i', a: undefined, b: 2, c: undefined },
      { level: 40, msg: 'w', a: undefined, b: undefined, c: undefined },
      { level: 50, msg: 'e', a: undefined, b: undefined, c: 3 },
    ])
  })

  it('leaves a console-style logger as it is', () => {
    const calls: unknown[][] = []
    const consoleLike = { debug: () => {}, info: () => {}, warn: (...args: unknown[]) => calls.push(args), error: () => {} }
    const adapted = adaptLogger(consoleLike)
    expect(adapted).toBe(consoleLike)
    adapted.warn('w', { x: 1 })
    expect(calls).toEqual([['w', { x: 1 }]])
  })
})
