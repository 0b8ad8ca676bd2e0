import type * as AgentsSdk from '@openai/agents'
import { requireAsImported } from './package-require.js'

let sdk: typeof AgentsSdk | undefined

/**
 * The Agents SDK (a peer dependency), loaded when a run, a trace or the tools first need it: loading
 * it takes about half a second, which a memory that only stores and recalls should not wait for
 * at startup. Imported here or by the app, it is the same module (see `requireAsImported`).
 */
export function agentsSdk(): typeof AgentsSdk {
  sdk ??= requireAsImported('@openai/agents') as typeof AgentsSdk
  return sdk
}
