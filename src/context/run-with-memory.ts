import {
  run as runAgent,
  RunState,
  type Agent,
  type AgentInputItem,
  type CallModelInputFilter,
  type NonStreamRunOptions,
  type RunResult,
  type StreamedRunResult,
  type StreamRunOptions,
} from '@openai/agents'
import { FactlineError } from '../errors.js'
import type { ScopeInput } from '../scope.js'
import { PostgresSession } from '../session/postgres-session.js'
import { withSafeRetries } from '../session/safe-retry-session.js'
import type { ContextFact } from './context-block.js'
import type { MemoryContext } from './memory-context.js'

/** Options for `memory.run`: the SDK's run options plus who the run is for (taken from the session when it is one of ours). */
export type MemoryRunOptions<TContext, TAgent extends Agent<any, any>> = (
  | NonStreamRunOptions<TContext, TAgent>
  | StreamRunOptions<TContext, TAgent>
) &
  Partial<ScopeInput>

/** A run's context request: who, what they said, and the filter to chain. */
export interface ContextRequest extends ScopeInput {
  input: string | AgentInputItem[]
  session?: PostgresSession
  /** A filter of your own, run before the memory one. */
  callModelInputFilter?: CallModelInputFilter | undefined
}

/** `memory.run`'s overloads: the SDK's `run()` with memory in every agent's instructions. */
export interface RunWithMemory {
  <TAgent extends Agent<any, any>, TContext = undefined>(
    agent: TAgent,
    input: string | AgentInputItem[] | RunState<TContext, TAgent>,
    options: NonStreamRunOptions<TContext, TAgent> & Partial<ScopeInput>,
  ): Promise<RunResult<TContext, TAgent>>
  <TAgent extends Agent<any, any>, TContext = undefined>(
    agent: TAgent,
    input: string | AgentInputItem[] | RunState<TContext, TAgent>,
    options: StreamRunOptions<TContext, TAgent> & Partial<ScopeInput>,
  ): Promise<StreamedRunResult<TContext, TAgent>>
}

/**
 * Builds `memory.run`: works out whose memory the run uses (an explicit `userId`, else the
 * session's owner), recalls once at run start through `context`, and runs the real SDK `run()`
 * with the filter that puts the block in every model call's instructions.
 */
export function createRunWithMemory(
  context: (request: ContextRequest) => Promise<MemoryContext<ContextFact>>,
  defaultNamespace: string,
): RunWithMemory {
  return (async (
    agent: Agent<any, any>,
    input: string | AgentInputItem[] | RunState<any, any>,
    runOptions: MemoryRunOptions<any, any>,
  ) => {
    const { userId: givenUser, namespace: givenNamespace, ...sdkOptions } = runOptions
    const session = sdkOptions.session instanceof PostgresSession ? sdkOptions.session : undefined
    const userId = requireUserId(
      givenUser ?? session?.userId ?? undefined,
      'memory.run needs to know whose memory to use: pass a session from memory.session(id, { userId }) or a userId option',
    )
    const namespace = givenNamespace ?? session?.namespace ?? defaultNamespace
    // A resumed run (after a tool approval) has no new input: recall with the latest turn instead.
    // getItems checks the owner, as `context` does, so a mismatch fails before the model is called.
    const resumed = input instanceof RunState
    const latest = resumed && session ? await session.getItems(4) : []
    const { callModelInputFilter } = await context({
      userId,
      namespace,
      input: resumed ? latest : input,
      callModelInputFilter: sdkOptions.callModelInputFilter,
      ...(session ? { session } : {}),
    })
    // Writes retried after an unknown commit outcome are stored once (idempotency keys).
    const sessionOption = session ? { session: withSafeRetries(session) } : {}
    return runAgent(agent, input, { ...sdkOptions, ...sessionOption, callModelInputFilter } as never)
  }) as RunWithMemory
}

/**
 * The user id a call needs, checked: a non-empty string.
 * @throws FactlineError `unknown_user` with `message` otherwise.
 */
export function requireUserId(userId: unknown, message: string): string {
  if (typeof userId === 'string' && userId.trim().length > 0) return userId
  throw new FactlineError('unknown_user', message)
}
