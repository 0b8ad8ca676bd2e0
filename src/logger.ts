/** The slice of a logger factline writes to. `console` fits; so do pino and winston. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const noop = () => {}

/** The default: library code stays quiet unless you hand it a logger. */
export const quietLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

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
