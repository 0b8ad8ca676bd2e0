import type { Job, Queue, Worker } from 'bullmq'
import { errorMessage } from '../errors.js'
import type { SweepResult } from '../extraction/sweep.js'
import type { Logger } from '../logger.js'
import { bullQueueName } from './hash-tag.js'
import type { RedisClient } from './redis-connection.js'

/** The one job scheduler per extraction queue that produces the periodic sweep. */
export const SWEEP_SCHEDULER_ID = 'lag-sweep'

/**
 * The queue a sweep job goes through: a companion of the extraction queue, so job counts stay those
 * of extraction. Named after the extraction queue's BullMQ name, it keeps that name's hash tag on a
 * Redis Cluster (`{q}-sweep`), so both queues live in one slot.
 */
export function sweepQueueName(extractionQueueName: string): string {
  return `${extractionQueueName}-sweep`
}

/** Why a sweep job exists: the schedule, a worker starting, or its Redis connection coming back. */
export type SweepTrigger = 'schedule' | 'start' | 'reconnect'

/** What a sweep job returns (kept briefly in Redis): counts only. */
export interface SweepJobResult {
  trigger: SweepTrigger
  enqueued: number
  failed: number
}

export interface SweepScheduleOptions {
  /** The worker's connection (`maxRetriesPerRequest: null`); shared, never closed here. */
  connection: RedisClient
  /** The extraction queue's name (hash-tagged here on a Redis Cluster, as the extraction queue's is). */
  extractionQueueName: string
  prefix?: string | undefined
  /** Period of the shared schedule; the last worker to start sets it. */
  intervalMs: number
  /** Runs one sweep in this process. */
  run(): Promise<SweepResult>
  logger: Logger
}

/** The sweep of one worker process: it takes its share of the queue's sweep jobs and can ask for one now. */
export interface SweepSchedule {
  /** Asks for a sweep as soon as a worker is free; requests made while one waits are merged. */
  trigger(reason: Exclude<SweepTrigger, 'schedule'>): Promise<void>
  close(): Promise<void>
}

/**
 * Runs the lag sweep as BullMQ jobs instead of a timer in every worker: one job scheduler per
 * extraction queue (`upsertJobScheduler`, idempotent, so N workers upsert the same one) produces
 * one sweep job per interval, which exactly one worker runs. A worker also asks for a sweep when it
 * starts and when its Redis connection is ready again after an error: Redis may have lost the
 * jobs and the scheduler (a restart without persistence), and turns stored while it was down were
 * never enqueued, so waiting for the next interval would leave those sessions stalled.
 */
export async function startSweepSchedule(options: SweepScheduleOptions): Promise<SweepSchedule> {
  const { Queue, Worker } = await import('bullmq')
  const { connection, logger } = options
  const name = sweepQueueName(bullQueueName(options.extractionQueueName, connection))
  const base = { connection, ...(options.prefix ? { prefix: options.prefix } : {}) }
  const queue: Queue = new Queue(name, base)
  queue.on('error', (error) => logger.debug('sweep queue connection error', { error: error.message }))

  const processor = async (job: Job): Promise<SweepJobResult> => {
    const trigger = job.name === 'sweep-now' ? ((job.data as { trigger?: SweepTrigger }).trigger ?? 'start') : 'schedule'
    const result = await options.run()
    logger.info('sweep job done', { jobId: job.id, trigger, enqueued: result.enqueued, failed: result.failed.length })
    return { trigger, enqueued: result.enqueued, failed: result.failed.length }
  }
  const worker: Worker = new Worker(name, processor, { ...base, concurrency: 1 })
  worker.on('error', (error) => logger.debug('sweep worker connection error', { error: error.message }))
  worker.on('failed', (job, error) => logger.warn('sweep job failed', { jobId: job?.id, error: errorMessage(error) }))

  const schedule = () =>
    queue.upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: options.intervalMs },
      { name: 'sweep', opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    )
  const trigger = async (reason: Exclude<SweepTrigger, 'schedule'>) => {
    // One pending request at a time; one arriving while a sweep runs is kept to run after it,
    // since that sweep may have read the watermarks before the fault's turns were stored.
    await queue.add(
      'sweep-now',
      { trigger: reason },
      { deduplication: { id: 'sweep-now', keepLastIfActive: true }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    )
  }
  const renew = (reason: Exclude<SweepTrigger, 'schedule'>) =>
    Promise.all([schedule(), trigger(reason)]).catch((error: unknown) =>
      logger.warn('could not schedule a sweep', { reason, error: errorMessage(error) }),
    )

  // ioredis emits 'ready' after every reconnect; only one that follows a lost connection is a recovery.
  let lostConnection = false
  const onClose = () => {
    lostConnection = true
  }
  const onReady = () => {
    if (!lostConnection) return
    lostConnection = false
    logger.info('Redis connection is back: sweeping for lagging sessions')
    void renew('reconnect')
  }
  connection.on('close', onClose)
  connection.on('ready', onReady)
  // Not awaited: with Redis down at startup the commands wait in the worker connection's queue.
  void renew('start')

  return {
    trigger,
    async close() {
      connection.off('close', onClose)
      connection.off('ready', onReady)
      await worker.close()
      await queue.close()
    },
  }
}
