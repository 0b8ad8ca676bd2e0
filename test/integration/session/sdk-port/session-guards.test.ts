// factline's port of packages/agents-core/test/session.test.ts from openai/openai-agents-js
// (MIT License, Copyright (c) OpenAI). The SDK checks its type guards on hand-made objects; the
// port adds the same checks on real sessions, which is what decides how the runner treats them.
import {
  isOpenAIResponsesCompactionAwareSession,
  isSessionHistoryRewriteAwareSession,
  isSessionHistoryTransactionAwareSession,
  type OpenAIResponsesCompactionAwareSession,
  type Session,
  type SessionHistoryRewriteAwareSession,
  type SessionHistoryTransactionAwareSession,
} from '@openai/agents'
import { describe, expect, it } from 'vitest'
import { describeEachKind, useSessionFactory } from './session-kinds.js'

function makeSession(overrides: Partial<Session> = {}): Session {
  return {
    getSessionId: async () => 'session',
    getItems: async () => [],
    addItems: async () => {},
    popItem: async () => undefined,
    clearSession: async () => {},
    ...overrides,
  }
}

describe('session type guards', () => {
  it('detects OpenAI Responses compaction-aware sessions', () => {
    const compactionSession: OpenAIResponsesCompactionAwareSession = { ...makeSession(), runCompaction: () => null }
    expect(isOpenAIResponsesCompactionAwareSession(undefined)).toBe(false)
    expect(isOpenAIResponsesCompactionAwareSession(makeSession())).toBe(false)
    expect(isOpenAIResponsesCompactionAwareSession(compactionSession)).toBe(true)
  })

  it('detects history rewrite-aware sessions', () => {
    const historyRewriteSession: SessionHistoryRewriteAwareSession = { ...makeSession(), applyHistoryMutations: () => {} }
    expect(isSessionHistoryRewriteAwareSession(undefined)).toBe(false)
    expect(isSessionHistoryRewriteAwareSession(makeSession())).toBe(false)
    expect(isSessionHistoryRewriteAwareSession(historyRewriteSession)).toBe(true)
  })

  it('detects history transaction-aware sessions', () => {
    const historyTransactionSession: SessionHistoryTransactionAwareSession = { ...makeSession(), applyHistoryTransaction: () => {} }
    expect(isSessionHistoryTransactionAwareSession(undefined)).toBe(false)
    expect(isSessionHistoryTransactionAwareSession(makeSession())).toBe(false)
    expect(isSessionHistoryTransactionAwareSession(historyTransactionSession)).toBe(true)
  })
})

describeEachKind('session type guards on %s', (kind) => {
  const sessions = useSessionFactory(kind)

  it('is history rewrite-aware and transaction-aware, and does not claim Responses compaction', async () => {
    const session = await sessions.create()
    expect(isSessionHistoryRewriteAwareSession(session)).toBe(true)
    expect(isSessionHistoryTransactionAwareSession(session)).toBe(true)
    expect(isOpenAIResponsesCompactionAwareSession(session)).toBe(false)
  })
})
