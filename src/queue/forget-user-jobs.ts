import type { Queue } from 'bullmq'
import { encodeSessionIdForJob, extractionDedupId } from './job-ids.js'
import type { RedisClient } from './redis-connection.js'
import { scanKeys } from './scan-keys.js'

/** What {@link forgetUserJobs} removed from Redis. */
export interface ForgetJobsResult {
  /** Jobs removed: waiting, delayed (incl. pending retries), completed and failed. */
  jobs: number
  /** Jobs running right now, which cannot be removed; each fails once it finds its session gone and is removed then. */
  active: number
  /** Deduplication keys removed. */
  dedupKeys: number
  /** Entries of the queue's event stream that named one of the jobs. */
  events: number
}

/**
 * Removes everything the extraction queue holds about these sessions: their jobs in every state
 * (with their logs), their deduplication keys, and the event-stream entries naming the jobs.
 * `forgetUser` calls it (queue mode) with the user's session ids, read before the sessions are
 * deleted. A job running meanwhile cannot be removed; it fails with `not_found` when it reads
 * the deleted session, and the worker then removes it.
 *
 * Jobs are found by their deterministic ids (`extract-<session>-<n>`, see `job-ids.ts`) with
 * `SCAN`, so the cost grows with the queue's key count, not with the number of jobs ever run.
 * @example
 * ```ts
 * const sessionIds = await listUserSessionIds(handle, 'u1')
 * await forgetUser(handle, 'u1')
 * await forgetUserJobs(producer.queue, sessionIds)
 * ```
 */
export async function forgetUserJobs(queue: Queue, sessionIds: readonly string[]): Promise<ForgetJobsResult> {
  const result: ForgetJobsResult = { jobs: 0, active: 0, dedupKeys: 0, events: 0 }
  if (sessionIds.length === 0) return result
  // BullMQ types its client abstractly; factline always hands it an ioredis client (or Cluster).
  const client = (await queue.getBackend().client) as unknown as RedisClient
  const base = queue.toKey('')
  const removedIds = new Set<string>()
  for (const sessionId of new Set(sessionIds)) {
    const stem = `extract-${encodeSessionIdForJob(sessionId)}-`
    const jobIds = new Set<string>()
    for (const key of await scanKeys(client, `${globEscape(base)}${globEscape(stem)}*`)) {
      // `extract-a-` also matches session `a-b`'s jobs; only digits may follow a job's stem.
      const id = key.slice(base.length).replace(/:logs$/, '')
      if (/^\d+$/.test(id.slice(stem.length))) jobIds.add(id)
    }
    for (const jobId of jobIds) {
      if ((await queue.remove(jobId)) === 1) {
        result.jobs++
        removedIds.add(jobId)
      } else if (await client.exists(`${base}${jobId}`)) {
        result.active++
      } else {
        removedIds.add(jobId) // only its logs were left
        await client.del(`${base}${jobId}:logs`)
      }
    }
    result.dedupKeys += await queue.removeDeduplicationKey(extractionDedupId(sessionId))
  }
  result.events = await removeEvents(client, queue.keys.events ?? queue.toKey('events'), removedIds)
  return result
}

/** Deletes the event-stream entries whose `jobId` is one of `jobIds` (the stream is capped, ~10,000 entries). */
async function removeEvents(client: RedisClient, stream: string, jobIds: ReadonlySet<string>): Promise<number> {
  if (jobIds.size === 0) return 0
  let removed = 0
  let start = '-'
  for (;;) {
    const entries: Array<[string, string[]]> = await client.xrange(stream, start, '+', 'COUNT', 1_000)
    const doomed = entries.filter(([, fields]) => fields.some((value, i) => i % 2 === 1 && jobIds.has(value))).map(([id]) => id)
    if (doomed.length > 0) removed += await client.xdel(stream, ...doomed)
    if (entries.length < 1_000) return removed
    start = `(${entries[entries.length - 1]![0]}`
  }
}

// SCAN patterns treat * ? [ ] \ as special; encodeURIComponent leaves only `*` of them, a queue name any.
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
