import type {
  Agent,
  AgentInputItem,
  CallModelInputFilter,
  NonStreamRunOptions,
  RunResult,
  RunState,
  StreamedRunResult,
  StreamRunOptions,
  Trace,
} from '@openai/agents'
import { loadAgentsSdk } from '../agents-sdk.js'
import { FactlineError } from '../errors.js'
import type { ScopeInput } from '../scope.js'
import { PostgresSession } from '../session/postgres-session.js'
import { withSafeRetries } from '../session/safe-retry-session.js'
import type { ContextFact } from './context-block.js'
import type { MemoryContext } from './memory-context.js'
import type { RecallTraceOptions } from './recall-span.js'

/**
 * Options for `memory.run`: the SDK's run options, who the run is for (taken from the session when
 * it is one of ours), and how the recall span is traced (`trace`, `traceContent`, `traceUserId`).
 */
export type MemoryRunOptions<TContext, TAgent extends Agent<any, any>> = (
  | NonStreamRunOptions<TContext, TAgent>
  | StreamRunOptions<TContext, TAgent>
) &
  MemoryRunExtras

/** What `memory.run` takes besides the SDK's run options. */
type MemoryRunExtras = Partial<ScopeInput> & RecallTraceOptions

/** A run's context request: who, what they said, the filter to chain, and how to trace the recall. */
export interface ContextRequest extends ScopeInput, RecallTraceOptions {
  input: string | AgentInputItem[]
  session?: PostgresSession
  /** A filter of your own, run before the memory one. */
  callModelInputFilter?: CallModelInputFilter | undefined
  /** The trace the recall span goes in when it is not the current one (a resumed run's). @internal */
  traceParent?: Trace | null | undefined
}

/** `memory.run`'s overloads: the SDK's `run()` with memory in every agent's instructions. */
export interface RunWithMemory {
  <TAgent extends Agent<any, any>, TContext = undefined>(
    agent: TAgent,
    input: string | AgentInputItem[] | RunState<TContext, TAgent>,
    options: NonStreamRunOptions<TContext, TAgent> & MemoryRunExtras,
  ): Promise<RunResult<TContext, TAgent>>
  <TAgent extends Agent<any, any>, TContext = undefined>(
    agent: TAgent,
    input: string | AgentInputItem[] | RunState<TContext, TAgent>,
    options: StreamRunOptions<TContext, TAgent> & MemoryRunExtras,
  ): Promise<StreamedRunResult<TContext, TAgent>>
}

/**
 * Builds `memory.run`: works out whose memory the run uses (an explicit `userId`, else the
 * session's owner), recalls once at run start through `context`, and runs the real SDK `run()`
 * with the filter that puts the block in every model call's instructions.
 *
 * Recall happens before `run()` starts the run's trace, so the trace is started here when there is
 * none yet (named as the runner names it): the runner joins a current trace rather than starting
 * its own, and the `factline.recall` span and the run's spans share one trace. A resumed run keeps
 * the trace it started in, so its recall span goes there.
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
    const { userId: givenUser, namespace: givenNamespace, trace, traceContent, traceUserId, ...sdkOptions } = runOptions
    const session = sdkOptions.session instanceof PostgresSession ? sdkOptions.session : undefined
    const userId = requireUserId(
      givenUser ?? session?.userId ?? undefined,
      'memory.run needs to know whose memory to use: pass a session from memory.session(id, { userId })',
    )
    // Without factline's session the run's turns are stored where extraction never sees them:
    // recall would work and learning would silently never happen.
    if (!session) throw notLearning(sdkOptions.session === undefined ? 'no session' : 'a session that is not factline\'s')
    const namespace = givenNamespace ?? session?.namespace ?? defaultNamespace
    const { getCurrentTrace, run: runAgent, RunState: RunStateClass, withTrace } = await loadAgentsSdk()
    const resumed = input instanceof RunStateClass
    const recallAndRun = async (traceParent?: Trace | null) => {
      // A resumed run (after a tool approval) has no new input: recall with the latest turn instead.
      // getItems checks the owner, as `context` does, so a mismatch fails before the model is called.
      const latest = resumed && session ? await session.getItems(4) : []
      const { callModelInputFilter } = await context({
        userId,
        namespace,
        input: resumed ? latest : input,
        callModelInputFilter: sdkOptions.callModelInputFilter,
        ...(session ? { session } : {}),
        ...(trace !== undefined ? { trace } : {}),
        ...(traceContent !== undefined ? { traceContent } : {}),
        ...(traceUserId !== undefined ? { traceUserId } : {}),
        traceParent,
      })
      // Writes retried after an unknown commit outcome are stored once (idempotency keys).
      const sessionOption = session ? { session: withSafeRetries(session) } : {}
      return runAgent(agent, input, { ...sdkOptions, ...sessionOption, callModelInputFilter } as never)
    }
    const resumedTrace = resumed && input._trace && input._trace.traceId !== 'no-op' ? input._trace : null
    if (trace === false || resumedTrace || getCurrentTrace()) return recallAndRun(resumedTrace)
    const apiKey = sdkOptions.tracing?.apiKey
    return withTrace('Agent workflow', () => recallAndRun(), apiKey !== undefined ? { tracingApiKey: apiKey } : {})
  }) as RunWithMemory
}

function notLearning(what: string): FactlineError {
  return new FactlineError(
    'invalid_argument',
    `memory.run was given ${what}: it could recall this user's facts but never learn from the run, since ` +
      "the turns would not reach factline's transcript. Pass session: memory.session(id, { userId }) to " +
      'recall and learn; for recall only, call memory.context({ userId, input }) and hand its ' +
      'callModelInputFilter to run() yourself.',
  )
}

/**
 * The user id a call needs, checked: a non-empty string.
 * @throws FactlineError `unknown_user` with `message` otherwise.
 */
export function requireUserId(userId: unknown, message: string): string {
  if (typeof userId === 'string' && userId.trim().length > 0) return userId
  throw new FactlineError('unknown_user', message)
}
