// factline's port of packages/agents-core/test/run.outputGuardrailReplaySession.test.ts from
// openai/openai-agents-js (MIT License, Copyright (c) OpenAI): blocked and approved output through
// the real runner. Where the SDK used its MemorySession, or a plain append-only Session, the port
// runs each session kind; subclasses of MemorySession became ForwardingSession wrappers.
import {
  Agent,
  defineToolOutputGuardrail,
  OutputGuardrailTripwireTriggered,
  run,
  RunContext,
  RunResult,
  RunState,
  StreamedRunResult,
  tool,
  ToolGuardrailFunctionOutputFactory,
  toolNamespace,
  Usage,
  type AgentInputItem,
  type Session,
  type SessionHistoryTransactionArgs,
  type ToolUseBehavior,
} from '@openai/agents'
import { assistantMessage, functionCall, modelResponse, ScriptedModel } from '@openai/agents/testing'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { ForwardingSession, SESSION_KINDS, useSessionFactory } from './session-kinds.js'

type RunMode = 'non_streamed' | 'streamed'
const MODES = ['non_streamed', 'streamed'] as const

const terminalToolBehaviors: Array<{ name: string; value: ToolUseBehavior }> = [
  { name: 'stop_on_first_tool', value: 'stop_on_first_tool' },
  { name: 'stopAtToolNames', value: { stopAtToolNames: ['sensitive_tool'] } },
  {
    name: 'custom finalizer',
    value: async (_context, results) => ({
      isFinalOutput: true,
      isInterrupted: undefined,
      finalOutput: String(results.find((result) => result.type === 'function_output')?.output),
    }),
  },
]

/** The runner's internal persistence entry points, loaded from the installed SDK build. */
async function sessionPersistence(): Promise<{
  saveToSession(session: Session, items: AgentInputItem[], result: RunResult<any, any>, options: { outputBlocked: boolean }): Promise<void>
  saveStreamResultToSession(session: Session, result: StreamedRunResult<any, any>, options: { outputBlocked: boolean }, items: AgentInputItem[]): Promise<void>
}> {
  const path = new URL('../../../../node_modules/@openai/agents-core/dist/runner/sessionPersistence.mjs', import.meta.url).href
  return import(/* @vite-ignore */ path)
}

const passingGuardrail = (name: string, tripwire = false) => ({
  name,
  execute: async () => ({ outputInfo: undefined, tripwireTriggered: tripwire }),
})

describe.each(SESSION_KINDS)('SDK output guardrail Session tests on %s', (kind) => {
  const sessions = useSessionFactory(kind)

  it.each(
    terminalToolBehaviors.flatMap(({ name, value }) =>
      MODES.flatMap((mode) => [false, true].map((tripwire) => ({ behaviorName: name, mode, toolUseBehavior: value, tripwire }))),
    ),
  )('handles $behaviorName in $mode mode when guardrails trip=$tripwire', async ({ mode, toolUseBehavior, tripwire }) => {
    const executeTool = vi.fn(async () => 'sensitive tool output')
    const executeGuardrail = vi.fn(async () => ({ outputInfo: undefined, tripwireTriggered: tripwire }))
    const sensitiveTool = tool({ name: 'sensitive_tool', description: 'Returns a sensitive value.', parameters: z.object({}), execute: executeTool })
    const model = new ScriptedModel([
      modelResponse({ output: [functionCall('sensitive_tool', {}, { callId: 'sensitive-call' })], usage: new Usage() }),
    ])
    const agent = new Agent({
      name: 'Terminal tool Session agent',
      model,
      tools: [sensitiveTool],
      toolUseBehavior,
      outputGuardrails: [{ name: 'output guardrail', execute: executeGuardrail }],
    })
    const session = await sessions.create()
    if (tripwire && mode === 'streamed') {
      const result = await run(agent, 'input', { session, stream: true })
      await expect(result.completed).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered)
    } else if (tripwire) {
      await expect(run(agent, 'input', { session })).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered)
    } else if (mode === 'streamed') {
      const result = await run(agent, 'input', { session, stream: true })
      await result.completed
    } else {
      await run(agent, 'input', { session })
    }
    expect(model.calls).toHaveLength(1)
    expect(executeTool).toHaveBeenCalledTimes(1)
    expect(executeGuardrail).toHaveBeenCalledTimes(1)
    const stored = JSON.stringify(await session.getItems())
    if (tripwire) {
      expect(stored).not.toContain('sensitive tool output')
      expect(stored).toContain('Output withheld by an output guardrail.')
      const replayModel = new ScriptedModel([modelResponse({ output: [assistantMessage('safe replay output')], usage: new Usage() })])
      await run(new Agent({ name: 'Replay Session agent', model: replayModel }), 'Continue', { session })
      const replayInput = JSON.stringify(replayModel.calls[0]?.request.input)
      expect(replayInput).not.toContain('sensitive tool output')
      expect(replayInput).toContain('Output withheld by an output guardrail.')
    } else {
      expect(stored).toContain('sensitive tool output')
    }
  })

  it.each(MODES.flatMap((mode) => (['none', 'before_commit', 'after_commit'] as const).map((failureTiming) => ({ mode, failureTiming }))))(
    'persists an input-only blocked $mode transaction with $failureTiming failure',
    async ({ mode, failureTiming }) => {
      class RetryableInputOnlySession extends ForwardingSession {
        readonly operationIds: string[] = []
        readonly transactionItems: AgentInputItem[][] = []
        directWrites = 0
        private shouldFail = failureTiming !== 'none'

        override async addItems(items: AgentInputItem[]): Promise<void> {
          this.directWrites += 1
          await super.addItems(items)
        }

        override async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
          this.operationIds.push(args.operationId)
          if (args.transaction.type !== 'append_items') throw new Error('Expected an input-only append transaction.')
          this.transactionItems.push(structuredClone(args.transaction.items))
          if (this.shouldFail && failureTiming === 'before_commit') {
            this.shouldFail = false
            throw new Error('input-only transaction failed before commit')
          }
          await super.applyHistoryTransaction(args)
          if (this.shouldFail && failureTiming === 'after_commit') {
            this.shouldFail = false
            throw new Error('input-only transaction failed after commit')
          }
        }
      }

      const executeTool = vi.fn(async () => 'discarded terminal tool secret')
      const terminalTool = tool({
        name: 'discarded_response_tool',
        description: 'Returns output from a response that cannot be rebuilt.',
        parameters: z.object({}),
        execute: executeTool,
      })
      const model = new ScriptedModel([
        modelResponse({
          output: [
            assistantMessage('discarded assistant response secret'),
            functionCall('discarded_response_tool', {}, { callId: 'discarded-response-call' }),
          ],
          usage: new Usage(),
        }),
      ])
      const agent = new Agent({
        name: 'Input-only blocked transaction agent',
        model,
        tools: [terminalTool],
        toolUseBehavior: 'stop_on_first_tool',
        outputGuardrails: [passingGuardrail('reject unsafe mixed terminal response', true)],
      })
      const session = new RetryableInputOnlySession(await sessions.create())
      const invoke = async (input: string | RunState<any, any>) => {
        if (mode === 'streamed') {
          const result = await run(agent, input, { session, stream: true })
          await result.completed
          return
        }
        await run(agent, input, { session })
      }

      let tripwire: OutputGuardrailTripwireTriggered<any, any> | undefined
      try {
        await invoke('preserve the discarded response input')
      } catch (error) {
        expect(error).toBeInstanceOf(OutputGuardrailTripwireTriggered)
        tripwire = error as OutputGuardrailTripwireTriggered<any, any>
      }
      expect(executeTool).toHaveBeenCalledTimes(1)
      expect(model.calls).toHaveLength(1)
      expect(session.directWrites).toBe(0)
      expect(session.operationIds).toHaveLength(1)
      expect(session.transactionItems[0]).toHaveLength(1)
      expect(JSON.stringify(session.transactionItems[0])).toContain('preserve the discarded response input')
      expect(JSON.stringify(session.transactionItems[0])).not.toContain('discarded terminal tool secret')
      expect(JSON.stringify(session.transactionItems[0])).not.toContain('discarded assistant response secret')

      if (failureTiming !== 'none') {
        expect(tripwire?.state?._pendingSessionHistoryTransaction).toBeDefined()
        await expect(invoke(tripwire!.state!)).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered)
        expect(session.operationIds).toHaveLength(2)
        expect(session.operationIds[1]).toBe(session.operationIds[0])
      }

      const persisted = await session.getItems()
      expect(persisted).toHaveLength(1)
      expect(JSON.stringify(persisted)).toContain('preserve the discarded response input')
      expect(JSON.stringify(persisted)).not.toContain('discarded terminal tool secret')
      expect(JSON.stringify(persisted)).not.toContain('discarded assistant response secret')
      expect(session.directWrites).toBe(0)
      expect(executeTool).toHaveBeenCalledTimes(1)
      expect(model.calls).toHaveLength(1)
    },
  )

  it.each<RunMode>(MODES)('does not create an empty blocked-output transaction in %s mode', async (mode) => {
    class RecordingSession extends ForwardingSession {
      transactionCalls = 0
      override async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
        this.transactionCalls += 1
        await super.applyHistoryTransaction(args)
      }
    }
    const { saveToSession, saveStreamResultToSession } = await sessionPersistence()
    const session = new RecordingSession(await sessions.create())
    const agent = new Agent({ name: 'Empty blocked transaction agent' })
    const state: RunState<any, any> = new RunState(new RunContext(), 'input', agent, 1)
    state._currentTurnSessionHistoryTransactionInputItems = []
    if (mode === 'streamed') {
      await saveStreamResultToSession(session, new StreamedRunResult({ state }), { outputBlocked: true }, [])
    } else {
      await saveToSession(session, [], new RunResult(state), { outputBlocked: true })
    }
    expect(session.transactionCalls).toBe(0)
    expect(await session.getItems()).toEqual([])
    expect(state._pendingSessionHistoryTransaction).toBeUndefined()
    expect(state._currentTurnBlockedSessionStartIndex).toBeUndefined()
  })

  it.each<RunMode>(MODES)('preserves the separate function namespace in a blocked %s Session snapshot', async (mode) => {
    const [namespacedTool] = toolNamespace({
      name: 'crm',
      description: 'CRM tools.',
      tools: [
        tool({
          name: 'lookup_account',
          description: 'Returns a sensitive CRM account.',
          parameters: z.object({}),
          execute: async () => 'namespaced Session output secret',
        }),
      ],
    })
    const agent = new Agent({
      name: 'Namespaced blocked Session agent',
      model: new ScriptedModel([
        modelResponse({
          output: [functionCall('lookup_account', {}, { callId: 'namespaced-session-call', namespace: 'crm' })],
          usage: new Usage(),
        }),
      ]),
      tools: [namespacedTool!],
      toolUseBehavior: { stopAtToolNames: ['crm.lookup_account'] },
      outputGuardrails: [passingGuardrail('block namespaced Session output', true)],
    })
    const session = await sessions.create()
    if (mode === 'streamed') {
      const result = await run(agent, 'Look up the account.', { session, stream: true })
      await expect(result.completed).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered)
    } else {
      await expect(run(agent, 'Look up the account.', { session })).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered)
    }
    const toolItems = (await session.getItems()).filter(
      (item) => item.type === 'function_call' || item.type === 'function_call_result',
    ) as Array<{ type: string; name: string; namespace?: string }>
    expect(toolItems.map((item) => ({ type: item.type, name: item.name, namespace: item.namespace }))).toEqual([
      { type: 'function_call', name: 'lookup_account', namespace: 'crm' },
      { type: 'function_call_result', name: 'lookup_account', namespace: 'crm' },
    ])
    expect(JSON.stringify(toolItems)).not.toContain('namespaced Session output secret')
  })

  it.each(MODES.flatMap((mode) => (['run_llm_again', 'stop_on_first_tool', 'stop_at_names', 'custom'] as const).map((behavior) => ({ mode, behavior }))))(
    'preserves a completed $mode approval sibling before resuming with $behavior',
    async ({ mode, behavior }) => {
      const approveExecute = vi.fn(async () => 'approved sibling output')
      const siblingExecute = vi.fn(async () => 'completed nonterminal sibling')
      const approvalTool = tool({
        name: 'pending_approval_tool',
        description: 'Requires approval before execution.',
        parameters: z.object({}),
        needsApproval: true,
        execute: approveExecute,
      })
      const siblingTool = tool({
        name: 'completed_sibling_tool',
        description: 'Completes while a sibling awaits approval.',
        parameters: z.object({}),
        execute: siblingExecute,
      })
      const model = new ScriptedModel([
        modelResponse({
          output: [
            functionCall('pending_approval_tool', {}, { callId: 'pending-approval-call' }),
            functionCall('completed_sibling_tool', {}, { callId: 'completed-sibling-call' }),
          ],
          usage: new Usage(),
        }),
        modelResponse({ output: [assistantMessage('approved sibling continuation')], usage: new Usage() }),
      ])
      const agent = new Agent({
        name: 'Nonterminal approval sibling agent',
        model,
        tools: [approvalTool, siblingTool],
        toolUseBehavior: 'run_llm_again',
        outputGuardrails: [passingGuardrail('guard the eventual model output')],
      })
      const session = await sessions.create()
      const runOnce = async (input: string | RunState<unknown, typeof agent>) => {
        if (mode === 'streamed') {
          const result = await run(agent, input, { session, stream: true })
          await result.completed
          return result
        }
        return run(agent, input, { session })
      }
      const callTypes = (items: AgentInputItem[], callId: string) =>
        items
          .filter((item) => (item.type === 'function_call' || item.type === 'function_call_result') && item.callId === callId)
          .map((item) => item.type)

      const first = await runOnce('Use both approval siblings.')
      expect(first.interruptions).toHaveLength(1)
      expect(siblingExecute).toHaveBeenCalledTimes(1)
      expect(approveExecute).not.toHaveBeenCalled()
      const checkpoint = await session.getItems()
      expect(callTypes(checkpoint, 'completed-sibling-call')).toEqual(['function_call', 'function_call_result'])
      expect(JSON.stringify(checkpoint)).toContain('completed nonterminal sibling')
      expect(first.state._currentTurnPersistedItemCount).toBeGreaterThan(0)
      first.state.approve(first.interruptions[0]!)

      if (behavior !== 'run_llm_again') {
        agent.toolUseBehavior =
          behavior === 'stop_on_first_tool'
            ? 'stop_on_first_tool'
            : behavior === 'stop_at_names'
              ? { stopAtToolNames: ['pending_approval_tool'] }
              : async (_context, results) => ({
                  isFinalOutput: true,
                  isInterrupted: undefined,
                  finalOutput: String(results.find((result) => result.type === 'function_output')?.output),
                })
        await expect(runOnce(first.state)).rejects.toThrow('persisted response ownership cannot be proven')
        expect(approveExecute).not.toHaveBeenCalled()
        expect(siblingExecute).toHaveBeenCalledTimes(1)
        expect(model.calls).toHaveLength(1)
        expect(await session.getItems()).toEqual(checkpoint)
        return
      }
      const resumed = await runOnce(first.state)
      expect(resumed.finalOutput).toBe('approved sibling continuation')
      expect(approveExecute).toHaveBeenCalledTimes(1)
      expect(siblingExecute).toHaveBeenCalledTimes(1)
      expect(model.calls).toHaveLength(2)
      const persisted = await session.getItems()
      for (const callId of ['pending-approval-call', 'completed-sibling-call']) {
        expect(callTypes(persisted, callId)).toEqual(['function_call', 'function_call_result'])
      }
    },
  )

  // In streamed mode this fails on the SDK 0.20 MemorySession itself ("Resumed Session write items
  // do not match their canonical RunState owners"), so it is registered as `fails` on every kind.
  const resumesLaterApproval = async (mode: RunMode) => {
    const historicalExecute = vi.fn(async () => 'accepted earlier result')
    const approvedExecute = vi.fn(async () => 'approved later result')
    const historicalTool = tool({
      name: 'historical_tool',
      description: 'Returns an accepted result before the approval.',
      parameters: z.object({}),
      outputGuardrails: [
        defineToolOutputGuardrail({
          name: 'accepted historical tool guardrail',
          run: async () => ToolGuardrailFunctionOutputFactory.allow('accepted historical guardrail metadata'),
        }),
      ],
      execute: historicalExecute,
    })
    const approvalTool = tool({
      name: 'later_approval_tool',
      description: 'Requires approval after the earlier result.',
      parameters: z.object({}),
      needsApproval: true,
      execute: approvedExecute,
    })
    const model = new ScriptedModel([
      modelResponse({ output: [functionCall('historical_tool', {}, { callId: 'historical-call' })], usage: new Usage() }),
      modelResponse({ output: [functionCall('later_approval_tool', {}, { callId: 'later-approval-call' })], usage: new Usage() }),
      modelResponse({ output: [assistantMessage('approved continuation complete')], usage: new Usage() }),
    ])
    const agent = new Agent({
      name: 'Historical result before approval agent',
      model,
      tools: [historicalTool, approvalTool],
      toolUseBehavior: 'run_llm_again',
      outputGuardrails: [passingGuardrail('passing approval output guardrail')],
    })
    const session = await sessions.create()
    const runOnce = async (input: string | RunState<unknown, typeof agent>, useSession = true) => {
      const options = useSession ? { session } : {}
      if (mode === 'streamed') {
        const result = await run(agent, input, { ...options, stream: true })
        await result.completed
        return result
      }
      return run(agent, input, options)
    }
    const first = await runOnce('Run both tools.', false)
    expect(first.interruptions).toHaveLength(1)
    expect(historicalExecute).toHaveBeenCalledTimes(1)
    expect(approvedExecute).not.toHaveBeenCalled()
    expect(first.state._toolOutputGuardrailResults[0]?.output.outputInfo).toBe('accepted historical guardrail metadata')
    const restored = await RunState.fromString(agent, first.state.toString())
    restored.approve(restored.getInterruptions()[0]!)
    const resumed = await runOnce(restored)
    expect(resumed.finalOutput).toBe('approved continuation complete')
    expect(historicalExecute).toHaveBeenCalledTimes(1)
    expect(approvedExecute).toHaveBeenCalledTimes(1)
    expect(resumed.state._toolOutputGuardrailResults[0]?.output.outputInfo).toBe('accepted historical guardrail metadata')
    const stored = JSON.stringify(await session.getItems())
    expect(stored).toContain('accepted earlier result')
    expect(stored).toContain('approved later result')
  }
  it('resumes a later call-only approval after an earlier non_streamed tool result', () => resumesLaterApproval('non_streamed'))
  it.fails('resumes a later call-only approval after an earlier streamed tool result', () => resumesLaterApproval('streamed'))

  it.each<RunMode>(MODES)('retains a run_llm_again tool output when a later model output trips in %s mode', async (mode) => {
    const sensitiveTool = tool({
      name: 'sensitive_tool',
      description: 'Returns a value for a later model turn.',
      parameters: z.object({}),
      execute: async () => 'tool output retained for the model',
    })
    const model = new ScriptedModel([
      modelResponse({ output: [functionCall('sensitive_tool', {}, { callId: 'sensitive-call' })], usage: new Usage() }),
      modelResponse({ output: [assistantMessage('blocked model output secret')], usage: new Usage() }),
    ])
    const agent = new Agent({
      name: 'Later model trip Session agent',
      model,
      tools: [sensitiveTool],
      toolUseBehavior: 'run_llm_again',
      outputGuardrails: [passingGuardrail('blocking output guardrail', true)],
    })
    const session = await sessions.create()
    if (mode === 'streamed') {
      const result = await run(agent, 'input', { session, stream: true })
      await expect(result.completed).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered)
    } else {
      await expect(run(agent, 'input', { session })).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered)
    }
    const stored = JSON.stringify(await session.getItems())
    expect(stored).toContain('tool output retained for the model')
    expect(stored).not.toContain('blocked model output secret')
    expect(stored).not.toContain('Output withheld by an output guardrail.')
  })
})
