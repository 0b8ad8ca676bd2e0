import type { AgentInputItem } from '@openai/agents'
import type { MemoryContext } from '../context/memory-context.js'
import type { FactlineDb } from '../db/create-db.js'
import type { ExplainedSource, FactExplanation } from '../facts/explain.js'
import type { Fact } from '../facts/fact.js'
import type { ListFactsInput } from '../facts/fact-input.js'
import type { ForgetUserResult } from '../facts/forget-user.js'
import type { RecalledFact, RecallOptions } from '../recall/recall.js'
import type { SearchHit, SearchOptions } from '../recall/search.js'
import type { ScopeInput } from '../scope.js'
import type { ExtractionJobCounts } from '../queue/extraction-queue.js'

/**
 * The slice of `Memory` the inspector calls: the same public calls an app makes, so the page
 * shows exactly what the library would answer (and is scoped exactly as it is).
 */
export interface InspectedMemory {
  readonly db: FactlineDb
  readonly facts: {
    list(input: ListFactsInput): Promise<Fact[]>
  }
  recall(options: RecallOptions): Promise<RecalledFact[]>
  search(options: SearchOptions): Promise<SearchHit[]>
  explain(factId: string, scope: ScopeInput): Promise<FactExplanation>
  forget(factId: string, options: ScopeInput & { reason?: string }): Promise<Fact>
  context(request: ScopeInput & { input: string | AgentInputItem[] }): Promise<MemoryContext>
  forgetUser(userId: string): Promise<ForgetUserResult>
}

/** A failed extraction job as the page shows it: ids and the sanitised reason, never user text. */
export interface FailedJobView {
  jobId: string
  sessionId: string
  throughMessageId: number
  /** Already sanitised by the worker (`sanitizedFailure`): an error kind, never a message. */
  reason: string
  attempts: number
  failedAt: Date | null
}

/** How extraction runs, as the pipeline view reads and drives it. */
export interface InspectedPipeline {
  readonly mode: 'inline' | 'queue'
  /** Queue mode only. */
  counts?(): Promise<ExtractionJobCounts>
  /** Queue mode only: failed jobs of these sessions. */
  failedJobs?(sessionIds: ReadonlySet<string>): Promise<FailedJobView[]>
  /** Schedules extraction of a session through a message again (a failed job is retried). */
  reenqueue(sessionId: string, throughMessageId: number): Promise<unknown>
}

/** The context settings the façade runs with, so the playground can say why items were left out. */
export interface InspectedContextSettings {
  /** Hits searched per run. */
  k: number
  maxTokens: number
  excerptShare: number
  /** The namespace calls use when none is named. */
  namespace: string
}

export type { ExplainedSource }
