import { coerceError } from '../errors.js'

/** Something to release: a pool, a queue, a worker. */
export type Closer = () => Promise<void> | void

/** Resources released in reverse order of acquisition. */
export interface CloserStack {
  /** Adds a closer; it runs before every closer pushed earlier. */
  push(close: Closer): void
  /**
   * Runs every closer, newest first, even when one fails; later calls return the same promise.
   * @throws AggregateError listing every closer that failed.
   */
  close(): Promise<void>
}

/**
 * The one lifecycle helper: `createMemory`, workers and the CLI push what they open and close it
 * all in LIFO order, so a worker stops before the database it writes to.
 */
export function createCloserStack(): CloserStack {
  const closers: Closer[] = []
  let closing: Promise<void> | undefined
  return {
    push(close) {
      closers.push(close)
    },
    close() {
      closing ??= (async () => {
        const failures: Error[] = []
        for (let i = closers.length - 1; i >= 0; i--) {
          try {
            await closers[i]!()
          } catch (error) {
            failures.push(coerceError(error))
          }
        }
        if (failures.length === 1) throw failures[0]
        if (failures.length > 1) throw new AggregateError(failures, `${failures.length} resources failed to close`)
      })()
      return closing
    },
  }
}
