import { errorKind, errorMessage, FactlineError } from '../errors.js'
import { quietLogger } from '../logger.js'
import { raceTimeout } from '../race-timeout.js'
import { DEFAULT_FLUSH_TIMEOUT_MS, type ExtractionScheduler } from './extraction-scheduler.js'
import {
  processSessionExtraction,
  type ExtractionProcessorDeps,
  type ExtractionResult,
} from './extraction-processor.js'

/** Options for {@link createInlineScheduler}: the processor's deps plus scheduling. */
export interface InlineSchedulerOptions extends ExtractionProcessorDeps {
  /**
   * Wait this long after a turn before extracting, so a burst of turns becomes one run.
   * 0 runs on the next tick.
   * @defaultValue 0
   */
  coalesceMs?: number | undefined
}

interface SessionState {
  /** Another run is wanted after the current one (items arrived while it ran). */
  again: boolean
  running: Promise<void>
}

/**
 * Runs the extraction processor in process after `addItems`. Runs are serialised per session
 * (a turn arriving mid-run asks for exactly one more run, which reads everything new) and never
 * awaited by `addItems`, so the turn does not wait for extraction. The model call happens
 * before the run's transaction opens, so on single-connection PGlite the app's own queries only
 * ever wait for the short commit, never for the extractor.
 */
export function createInlineScheduler(options: InlineSchedulerOptions): ExtractionScheduler {
  const logger = options.logger ?? quietLogger
  const coalesceMs = options.coalesceMs ?? 0
  const sessions = new Map<string, SessionState>()
  const errors: unknown[] = []
  let closed = false

  const runOnce = async (sessionId: string, userId: string | undefined): Promise<ExtractionResult | undefined> => {
    try {
      return await processSessionExtraction(options, sessionId, { jobId: `inline-${sessionId}`, userId })
    } catch (error) {
      errors.push(error)
      // The kind only at warn: a message may quote model output or transcript text, which logs
      // keep beyond forgetUser's reach. The full message goes to debug.
      logger.warn('inline extraction failed; the next turn or a sweep retries it', { sessionId, error: errorKind(error) })
      logger.debug('inline extraction failure detail', { sessionId, error: errorMessage(error) })
      return undefined
    }
  }

  // The user comes from the committed turn's session row; row-level security scopes the run to them.
  const schedule = (sessionId: string, userId?: string) => {
    if (closed) return
    const state = sessions.get(sessionId)
    if (state) {
      state.again = true
      return
    }
    const fresh: SessionState = { again: false, running: Promise.resolve() }
    fresh.running = (async () => {
      await new Promise((resolve) => setTimeout(resolve, coalesceMs))
      do {
        fresh.again = false
        await runOnce(sessionId, userId)
      } while (fresh.again && !closed)
      sessions.delete(sessionId)
    })()
    sessions.set(sessionId, fresh)
  }

  const settle = async () => {
    // Runs can schedule more runs (a turn during a run); loop until nothing is left.
    while (sessions.size > 0) await Promise.all([...sessions.values()].map((s) => s.running))
  }

  return {
    mode: 'inline',
    async onItemsAdded(event) {
      if (event.userId !== null) schedule(event.sessionId, event.userId)
    },
    async enqueue(job) {
      schedule(job.sessionId, job.userId)
    },
    async flush({ timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS } = {}) {
      await raceTimeout(
        settle(),
        timeoutMs,
        () => new FactlineError('timeout', `inline extraction has not finished after ${timeoutMs} ms`),
      )
      const first = errors.shift()
      errors.length = 0
      if (first !== undefined) throw first
    },
    async close() {
      await settle()
      closed = true
    },
  }
}
