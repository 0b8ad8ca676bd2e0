/**
 * The slice of a logger factline writes to: `(message, fields)`. `console` and winston fit as they
 * are; pino (whose order is `(fields, message)`) is recognised and adapted (see {@link adaptLogger}),
 * or wrap it yourself with {@link pinoLogger}.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/** The part of a pino logger factline calls: fields first, then the message. */
export interface PinoLikeLogger {
  debug(fields: object, message: string): void
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

const noop = () => {}

/** The default: library code stays quiet unless you hand it a logger. */
export const quietLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

/**
 * Wraps a pino (or bunyan-style) logger so factline's fields arrive as the log object.
 * @example createMemory({ logger: pinoLogger(pino()) })
 */
export function pinoLogger(pino: PinoLikeLogger): Logger {
  return {
    debug: (message, fields) => pino.debug(fields ?? {}, message),
    info: (message, fields) => pino.info(fields ?? {}, message),
    warn: (message, fields) => pino.warn(fields ?? {}, message),
    error: (message, fields) => pino.error(fields ?? {}, message),
  }
}

// pino's signature: `bindings()`, `child()` and a `levels` map; called as (message, fields) it
// would take the fields as a printf argument and drop them.
function isPino(logger: object): logger is PinoLikeLogger {
  const l = logger as { bindings?: unknown; child?: unknown; levels?: unknown }
  return typeof l.bindings === 'function' && typeof l.child === 'function' && typeof l.levels === 'object'
}

/** The logger to call as `(message, fields)`: pino is wrapped with {@link pinoLogger}, anything else is used as is. */
export function adaptLogger(logger: Logger): Logger {
  return isPino(logger) ? pinoLogger(logger) : logger
}

/** One JSON object per line on stderr: what the worker and CLI use. */
export function createJsonLogger(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error'] as const
  const min = order.indexOf(level)
  const write = (lvl: (typeof order)[number]) => (message: string, fields: Record<string, unknown> = {}) => {
    if (order.indexOf(lvl) < min) return
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: message, ...fields })}\n`)
  }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}
