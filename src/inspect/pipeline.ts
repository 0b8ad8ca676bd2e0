import { Hono } from 'hono'
import type { ExtractionScheduler } from '../extraction/extraction-scheduler.js'
import type { QueueScheduler } from '../queue/queue-scheduler.js'
import { listOwnedSessions } from '../session/sessions-table.js'
import type { FailedJobView, InspectedPipeline } from './inspected-memory.js'
import { notFound, requestScope, type InspectorDeps } from './inspector-deps.js'

// What `sanitizedFailure` writes (an error code, name and short detail); anything else could quote
// user text (a job failed by another worker version), so the page does not show it.
const SANITISED_REASON = /^[A-Za-z0-9_ (),:.-]{1,120}$/

/** BullMQ keeps at most 1,000 failed jobs (`removeOnFail`); the view reads them all. */
const MAX_FAILED = 1_000

/** The pipeline view over the façade's scheduler: counts and failed jobs in queue mode, re-enqueue in both. */
export function pipelineOf(scheduler: ExtractionScheduler): InspectedPipeline {
  const reenqueue = (sessionId: string, throughMessageId: number) =>
    scheduler.enqueue({ sessionId, throughMessageId }, { retryFailed: true })
  if (!isQueueScheduler(scheduler)) return { mode: scheduler.mode, reenqueue }
  const { producer } = scheduler
  return {
    mode: 'queue',
    reenqueue,
    counts: () => producer.counts(),
    async failedJobs(sessionIds) {
      const jobs = await producer.queue.getFailed(0, MAX_FAILED - 1)
      const views: FailedJobView[] = []
      for (const job of jobs) {
        const data = job?.data as { sessionId?: unknown; throughMessageId?: unknown } | undefined
        if (!job || typeof data?.sessionId !== 'string' || !sessionIds.has(data.sessionId)) continue
        views.push({
          jobId: String(job.id),
          sessionId: data.sessionId,
          throughMessageId: Number(data.throughMessageId),
          reason: SANITISED_REASON.test(job.failedReason) ? job.failedReason : '(reason hidden: not in the sanitised format)',
          attempts: job.attemptsMade,
          failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
        })
      }
      return views
    },
  }
}

function isQueueScheduler(scheduler: ExtractionScheduler): scheduler is QueueScheduler {
  return scheduler.mode === 'queue' && 'producer' in scheduler
}

/** Pipeline health for one user and namespace: per session, the watermark against the newest message. */
export function pipelineRoutes(deps: InspectorDeps): Hono {
  const { db } = deps.memory.db
  const { pipeline } = deps
  const app = new Hono()

  app.get('/users/:userId/pipeline', async (c) => {
    const scope = requestScope(c, deps)
    const sessions = await listOwnedSessions(db, scope, { limit: 1_000 })
    const owned = new Set(sessions.map((s) => s.sessionId))
    const [counts, failed] = await Promise.all([pipeline.counts?.() ?? null, pipeline.failedJobs?.(owned) ?? []])
    return c.json({
      mode: pipeline.mode,
      counts,
      failed,
      sessions: sessions.map((s) => ({ ...s, lagging: s.newestMessageId > s.extractedThrough })),
    })
  })

  app.post('/users/:userId/pipeline/sessions/:sessionId/reenqueue', async (c) => {
    const scope = requestScope(c, deps)
    const sessionId = c.req.param('sessionId')
    const [session] = await listOwnedSessions(db, scope, { limit: 1, sessionId })
    if (!session) throw notFound('session', sessionId)
    if (session.newestMessageId === 0) return c.json({ enqueued: false, reason: 'the session has no messages' })
    await pipeline.reenqueue(sessionId, session.newestMessageId)
    return c.json({ enqueued: true, throughMessageId: session.newestMessageId })
  })

  return app
}
