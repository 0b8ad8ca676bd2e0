import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { DEFAULT_FLUSH_TIMEOUT_MS, type ExtractionScheduler } from '../extraction/extraction-scheduler.js'
import { FactlineError } from '../errors.js'
import { readWatermarks } from '../session/sessions-table.js'
import { createExtractionQueue, type ExtractionQueue, type ExtractionQueueOptions } from './extraction-queue.js'
import { forgetUserJobs } from './forget-user-jobs.js'
import { resolveQueueIdentity } from './queue-name.js'

/** Options for {@link createQueueScheduler}: the producer's options plus the database `flush` reads. */
export interface QueueSchedulerOptions extends ExtractionQueueOptions {
  db: Kysely<Database>
  /** How often `flush` reads the watermarks. @defaultValue 50 ms */
  pollMs?: number | undefined
}

/** The BullMQ scheduler, with the producer it sends jobs through. */
export interface QueueScheduler extends ExtractionScheduler {
  readonly mode: 'queue'
  /** The producer (queue name, BullMQ queue for inspection). */
  readonly producer: ExtractionQueue
}

/**
 * Schedules extraction as BullMQ jobs that `factline worker` processes run. `flush` waits for the
 * workers by reading the sessions' watermarks: it tracks the newest message of each session
 * written through this scheduler and forgets a session once its watermark has reached it, so a
 * long-lived process keeps only the sessions still waiting for extraction.
 *
 * The queue is `factline-extraction-<database tag>` unless `queueName` is set, and every job
 * carries the tag, so workers of another database never run these jobs.
 */
export async function createQueueScheduler(options: QueueSchedulerOptions): Promise<QueueScheduler> {
  const { db, pollMs = 50, ...queueOptions } = options
  const identity = await resolveQueueIdentity(db, queueOptions.queueName)
  const producer = await createExtractionQueue({ ...queueOptions, queueName: identity.name, databaseTag: identity.databaseTag, jobKey: identity.jobKey })
  // Per user, each session's newest message written through this scheduler.
  const pending = new Map<string, Map<string, number>>()

  const stillLagging = async (): Promise<string[]> => {
    const lagging: string[] = []
    for (const [userId, sessions] of pending) {
      const watermarks = await readWatermarks(db, userId, [...sessions.keys()])
      for (const [sessionId, newest] of sessions) {
        const watermark = watermarks.get(sessionId)
        // A session deleted meanwhile (forgetUser) has nothing left to extract.
        if (watermark === undefined || watermark >= newest) sessions.delete(sessionId)
        else lagging.push(sessionId)
      }
      if (sessions.size === 0) pending.delete(userId)
    }
    return lagging
  }

  return {
    mode: 'queue',
    producer,
    async onItemsAdded(event) {
      if (event.userId === null) return
      const sessions = pending.get(event.userId) ?? new Map<string, number>()
      pending.set(event.userId, sessions)
      sessions.set(event.sessionId, Math.max(sessions.get(event.sessionId) ?? 0, event.lastMessageId))
      await producer.onItemsAdded(event)
    },
    enqueue: (job, extra) => producer.enqueue(job, extra),
    async flush({ timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS } = {}) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const lagging = await stillLagging()
        if (lagging.length === 0) return
        if (Date.now() > deadline) {
          throw new FactlineError(
            'timeout',
            `extraction has not caught up after ${timeoutMs} ms for ${lagging.length} session(s); is a worker running (factline worker)?`,
            { details: { sessions: lagging } },
          )
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs))
      }
    },
    async forgetSessions(sessionIds) {
      for (const sessions of pending.values()) for (const sessionId of sessionIds) sessions.delete(sessionId)
      await forgetUserJobs(producer.queue, sessionIds)
    },
    close: () => producer.close(),
  }
}
