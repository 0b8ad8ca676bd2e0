import { randomUUID } from 'node:crypto'
import type {
  AgentInputItem,
  SessionHistoryRewriteArgs,
  SessionHistoryRewriteAwareSession,
  SessionHistoryTransactionArgs,
  SessionHistoryTransactionAwareSession,
} from '@openai/agents'
import { isFactlineError } from '../errors.js'
import type { PostgresSession } from './postgres-session.js'

/** Waits before each retry of a write whose outcome is unknown: long enough for a dropped connection to be replaced. */
const RETRY_DELAYS_MS = [100, 500, 2000] as const

/**
 * The session as `memory.run` hands it to the runner: each `addItems` gets its own idempotency
 * key, and a write whose commit outcome is unknown (`connection_failed` with `outcome: 'unknown'`)
 * is retried with the same key (history transactions with their own operation id), so a turn
 * is stored once even when the connection drops around COMMIT. Everything else is forwarded.
 */
export function withSafeRetries(
  session: PostgresSession,
  delaysMs: readonly number[] = RETRY_DELAYS_MS,
): SessionHistoryTransactionAwareSession & SessionHistoryRewriteAwareSession & {
  replaceHistoryWithCompaction(items: AgentInputItem[]): Promise<void>
} {
  const retrying = async (write: () => Promise<void>): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write()
      } catch (error) {
        const unknown = isFactlineError(error, 'connection_failed') && error.details.outcome === 'unknown'
        const delay = delaysMs[attempt]
        if (!unknown || delay === undefined) throw error
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  }
  return {
    getSessionId: () => session.getSessionId(),
    getItems: (limit?: number) => session.getItems(limit),
    addItems(items: AgentInputItem[]) {
      const idempotencyKey = `run-${randomUUID()}`
      return retrying(() => session.addItems(items, { idempotencyKey }))
    },
    popItem: () => session.popItem(),
    clearSession: () => session.clearSession(),
    applyHistoryTransaction: (args: SessionHistoryTransactionArgs) => retrying(() => session.applyHistoryTransaction(args)),
    applyHistoryMutations: (args: SessionHistoryRewriteArgs) => session.applyHistoryMutations(args),
    replaceHistoryWithCompaction: (items: AgentInputItem[]) => session.replaceHistoryWithCompaction(items),
  }
}
