// Part of factline's port of the OpenAI Agents SDK's session tests (openai/openai-agents-js,
// packages/agents-core/test, MIT License, Copyright (c) OpenAI). Written for this repository.
import {
  MemorySession,
  type AgentInputItem,
  type Session,
  type SessionHistoryRewriteArgs,
  type SessionHistoryTransactionArgs,
} from '@openai/agents'
import { describe, expect } from 'vitest'
import type { FactlineErrorCode } from '../../../../src/errors.js'
import { PostgresSession } from '../../../../src/session/postgres-session.js'
import type { Backend } from '../../../helpers/databases.js'
import { lacks } from '../../../helpers/services.js'
import { useDatabase } from '../../../helpers/suite-fixtures.js'
import { uniqueId } from '../../../helpers/test-env.js'

/** The SDK's own MemorySession is the control; PostgresSession runs on both backends and on Citus. */
export type SessionKind = 'MemorySession' | 'PostgresSession (PGlite)' | 'PostgresSession (PostgreSQL)' | 'PostgresSession (Citus)'
export const SESSION_KINDS: readonly SessionKind[] = [
  'MemorySession',
  'PostgresSession (PGlite)',
  'PostgresSession (PostgreSQL)',
  'PostgresSession (Citus)',
]

/** The session methods both implementations share, as the SDK's tests use them. */
export type PortedSession = Session & {
  applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void>
  applyHistoryMutations(args: SessionHistoryRewriteArgs): Promise<void>
}

export interface SessionFactory {
  readonly kind: SessionKind
  readonly isControl: boolean
  /** A new session; `sessionId` gets a unique suffix on PostgreSQL so runs never share rows. */
  create(options?: { sessionId?: string; initialItems?: AgentInputItem[] }): Promise<PortedSession>
}

const BACKEND_OF: Record<SessionKind, Backend | undefined> = {
  MemorySession: undefined,
  'PostgresSession (PGlite)': 'pglite',
  'PostgresSession (PostgreSQL)': 'postgres',
  'PostgresSession (Citus)': 'citus',
}

/** The database a PostgresSession kind runs on; undefined for the control. */
export function backendOf(kind: SessionKind): Backend | undefined {
  return BACKEND_OF[kind]
}

/**
 * `describe.each(SESSION_KINDS)`, where the PostgreSQL and Citus kinds are skipped (and counted in
 * the run's summary) when the run lacks that service; the control and PGlite kinds always run.
 */
export function describeEachKind(name: string, body: (kind: SessionKind) => void): void {
  for (const kind of SESSION_KINDS) {
    const backend = BACKEND_OF[kind]
    const missing = (backend === 'postgres' && lacks('postgres')) || (backend === 'citus' && lacks('citus'))
    describe.skipIf(missing)(name.replace('%s', kind), () => body(kind))
  }
}

/** Registers the database hooks a kind needs in the enclosing describe, and returns its factory. */
export function useSessionFactory(kind: SessionKind): SessionFactory {
  const backend = BACKEND_OF[kind]
  const db = backend ? useDatabase(backend) : undefined
  return {
    kind,
    isControl: backend === undefined,
    async create(options = {}) {
      if (!db) return new MemorySession(options)
      const session = new PostgresSession({ sessionId: uniqueId(options.sessionId ?? 'sdk-port'), db: db.handle })
      // MemorySession's `initialItems`: the same history, stored the way any history is.
      if (options.initialItems?.length) await session.addItems(options.initialItems)
      return session
    },
  }
}

/**
 * Where the SDK asserts its own `UserError` wording, the port asserts the factline code on
 * PostgresSession: the documented intended difference (README, "Conformance with the SDK").
 */
export async function expectRefusal(
  factory: SessionFactory,
  promise: Promise<unknown>,
  expected: { sdkMessage: string; code: FactlineErrorCode },
): Promise<void> {
  if (factory.isControl) await expect(promise).rejects.toThrow(expected.sdkMessage)
  else await expect(promise).rejects.toMatchObject({ name: 'FactlineError', code: expected.code })
}

/** Forwards every shared session method to `inner`; subclasses override to count or fail calls. */
export class ForwardingSession implements PortedSession {
  constructor(readonly inner: PortedSession) {}
  getSessionId() {
    return this.inner.getSessionId()
  }
  getItems(limit?: number) {
    return this.inner.getItems(limit)
  }
  addItems(items: AgentInputItem[]) {
    return this.inner.addItems(items)
  }
  popItem() {
    return this.inner.popItem()
  }
  clearSession() {
    return this.inner.clearSession()
  }
  applyHistoryTransaction(args: SessionHistoryTransactionArgs) {
    return this.inner.applyHistoryTransaction(args)
  }
  applyHistoryMutations(args: SessionHistoryRewriteArgs) {
    return this.inner.applyHistoryMutations(args)
  }
}

/**
 * The session seen through the basic `Session` interface only, as the SDK's `AppendOnlySession`
 * is: the runner then takes its plain-session path (no history transactions).
 */
export function basicSessionView(session: PortedSession): Session {
  return {
    getSessionId: () => session.getSessionId(),
    getItems: (limit?: number) => session.getItems(limit),
    addItems: (items: AgentInputItem[]) => session.addItems(items),
    popItem: () => session.popItem(),
    clearSession: () => session.clearSession(),
  }
}
