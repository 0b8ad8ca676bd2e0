import type * as AgentsSdk from '@openai/agents'

let loaded: typeof AgentsSdk | undefined
let loading: Promise<typeof AgentsSdk> | undefined

/**
 * Loads the Agents SDK (a peer dependency) by `import()`, so it is the app's own module instance
 * (its trace state, its classes) under any loader. `createMemory` starts this at its beginning and
 * awaits it at its end: the half second of module loading then overlaps the database's start
 * instead of preceding it, as a static import at the top of factline's entry would.
 */
export function loadAgentsSdk(): Promise<typeof AgentsSdk> {
  loading ??= import('@openai/agents').then(
    (sdk) => (loaded = sdk),
    (error: unknown) => {
      loading = undefined // a later call may try again
      throw error
    },
  )
  return loading
}

/** The SDK once {@link loadAgentsSdk} has resolved, for callers that must stay synchronous. */
export function agentsSdk(): typeof AgentsSdk {
  if (!loaded) throw new Error('the Agents SDK is not loaded yet: await loadAgentsSdk() first (createMemory does)')
  return loaded
}
