// factline's port of packages/agents-core/test/hitlMemorySessionScenario.test.ts from
// openai/openai-agents-js (MIT License, Copyright (c) OpenAI): three approval turns through the
// real runner, rehydrating the session from its items half-way, on every session kind.
import {
  Agent,
  run,
  tool,
  Usage,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type protocol,
  type ResponseStreamEvent,
} from '@openai/agents'
import { expect, it } from 'vitest'
import { z } from 'zod'
import { describeEachKind, useSessionFactory, type PortedSession } from './session-kinds.js'

const TOOL_ECHO = 'approved_echo'
const TOOL_NOTE = 'approved_note'
const REJECTION_OUTPUT = 'Tool execution was not approved.'
const USER_MESSAGES = ['Fetch profile for customer 104.', 'Update note for customer 104.', 'Delete note for customer 104.'] as const

const executeCounts = new Map<string, number>()

const approvalEchoTool = tool({
  name: TOOL_ECHO,
  description: 'Echoes back the provided query after approval.',
  parameters: z.object({ query: z.string() }),
  needsApproval: async () => true,
  async execute({ query }) {
    executeCounts.set(TOOL_ECHO, (executeCounts.get(TOOL_ECHO) ?? 0) + 1)
    return `approved:${query}`
  },
})

const approvalNoteTool = tool({
  name: TOOL_NOTE,
  description: 'Records the provided query after approval.',
  parameters: z.object({ query: z.string() }),
  needsApproval: async () => true,
  async execute({ query }) {
    executeCounts.set(TOOL_NOTE, (executeCounts.get(TOOL_NOTE) ?? 0) + 1)
    return `approved_note:${query}`
  },
})

type ScenarioStep = { label: string; message: string; toolName: string; approval: 'approve' | 'reject'; expectedOutput: string }

class ScenarioModel implements Model {
  #counter = 0

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const toolName = typeof request.modelSettings.toolChoice === 'string' ? request.modelSettings.toolChoice : TOOL_ECHO
    const callId = `call_${(this.#counter += 1)}`
    const query = extractUserMessage(request.input)
    const toolCall: protocol.FunctionCallItem = {
      id: `fc_${callId}`,
      type: 'function_call',
      name: toolName,
      callId,
      status: 'completed',
      arguments: JSON.stringify({ query }),
      providerData: {},
    }
    return { usage: new Usage(), output: [toolCall] }
  }

  // eslint-disable-next-line require-yield -- this scenario does not stream.
  async *getStreamedResponse(_request: ModelRequest): AsyncIterable<ResponseStreamEvent> {
    throw new Error('Streaming is not supported in this scenario.')
  }
}

describeEachKind('HITL scenario on %s', (kind) => {
  const sessions = useSessionFactory(kind)

  it('persists approvals, rehydration, and rejections across tools', async () => {
    executeCounts.clear()
    const session = await sessions.create()
    const model = new ScenarioModel()
    const steps: ScenarioStep[] = [
      { label: 'turn 1', message: USER_MESSAGES[0], toolName: TOOL_ECHO, approval: 'approve', expectedOutput: `approved:${USER_MESSAGES[0]}` },
      { label: 'turn 2 (rehydrated)', message: USER_MESSAGES[1], toolName: TOOL_NOTE, approval: 'approve', expectedOutput: `approved_note:${USER_MESSAGES[1]}` },
      { label: 'turn 3 (rejected)', message: USER_MESSAGES[2], toolName: TOOL_ECHO, approval: 'reject', expectedOutput: REJECTION_OUTPUT },
    ]
    let rehydrated: PortedSession | undefined
    try {
      const first = await runScenarioStep(session, model, steps[0]!)
      expectCounts(first.items, 1)
      expectStepOutput(first.items, first.approvalItem, steps[0]!)

      rehydrated = await sessions.create({ initialItems: first.items })
      const second = await runScenarioStep(rehydrated, model, steps[1]!)
      expectCounts(second.items, 2)
      expectStepOutput(second.items, second.approvalItem, steps[1]!)

      const third = await runScenarioStep(rehydrated, model, steps[2]!)
      expectCounts(third.items, 3)
      expectStepOutput(third.items, third.approvalItem, steps[2]!)

      expect(executeCounts.get(TOOL_ECHO)).toBe(1)
      expect(executeCounts.get(TOOL_NOTE)).toBe(1)
    } finally {
      await (rehydrated ?? session).clearSession()
    }
  })
})

async function runScenarioStep(session: PortedSession, model: ScenarioModel, step: ScenarioStep) {
  const agent = new Agent({
    name: `Session ${step.label}`,
    instructions: `Always call ${step.toolName} before responding.`,
    model,
    tools: [approvalEchoTool, approvalNoteTool],
    modelSettings: { toolChoice: step.toolName },
    toolUseBehavior: 'stop_on_first_tool',
  })
  const firstRun = await run(agent, step.message, { session })
  expect(firstRun.interruptions).toHaveLength(1)
  const approval = firstRun.interruptions[0]!
  if (step.approval === 'reject') firstRun.state.reject(approval)
  else firstRun.state.approve(approval)
  const resumed = await run(agent, firstRun.state, { session })
  expect(resumed.interruptions).toHaveLength(0)
  expect(resumed.finalOutput).toBe(step.expectedOutput)
  return { approvalItem: approval.rawItem as protocol.FunctionCallItem, items: await session.getItems() }
}

function expectCounts(items: AgentInputItem[], turn: number): void {
  expect(items.filter((item) => item.type === 'message' && item.role === 'user')).toHaveLength(turn)
  expect(items.filter(isFunctionCallItem)).toHaveLength(turn)
  expect(items.filter(isFunctionCallResultItem)).toHaveLength(turn)
}

function expectStepOutput(items: AgentInputItem[], approvalItem: protocol.FunctionCallItem, step: ScenarioStep): void {
  expect(getLastUserText(items)).toBe(step.message)
  const lastCall = items.filter(isFunctionCallItem).at(-1)
  const lastResult = items.filter(isFunctionCallResultItem).at(-1)
  expect(lastCall?.name).toBe(step.toolName)
  expect(lastResult?.name).toBe(step.toolName)
  expect(lastCall?.callId).toBe(approvalItem.callId)
  expect(lastResult?.callId).toBe(approvalItem.callId)
  expect(extractToolOutputText(lastResult)).toBe(step.expectedOutput)
}

function userText(item: AgentInputItem): string | undefined {
  if (item.type !== 'message' || item.role !== 'user') return undefined
  if (typeof item.content === 'string') return item.content
  return item.content.map((part) => (part.type === 'input_text' ? part.text : '')).join('')
}

function extractUserMessage(input: ModelRequest['input']): string {
  if (typeof input === 'string') return input
  for (const item of [...(input ?? [])].reverse()) {
    const text = userText(item)
    if (text) return text
  }
  return ''
}

function getLastUserText(items: AgentInputItem[]): string | undefined {
  for (const item of [...items].reverse()) {
    const text = userText(item)
    if (text !== undefined) return text
  }
  return undefined
}

const isFunctionCallItem = (item: AgentInputItem): item is protocol.FunctionCallItem => item.type === 'function_call'
const isFunctionCallResultItem = (item: AgentInputItem): item is protocol.FunctionCallResultItem => item.type === 'function_call_result'

function extractToolOutputText(resultItem: protocol.FunctionCallResultItem | undefined): string | undefined {
  const output = resultItem?.output
  if (typeof output === 'string') return output
  if (Array.isArray(output)) return output.find((entry): entry is protocol.InputText => entry.type === 'input_text')?.text
  if (output && typeof output === 'object' && 'type' in output && output.type === 'text') return output.text
  return undefined
}
