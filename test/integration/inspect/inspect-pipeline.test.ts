import type { AgentInputItem } from '@openai/agents'
import { UnrecoverableError, Worker } from 'bullmq'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { WRITE_HEADER } from '../../../src/inspect/inspector-guard.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'

const user = (text: string) => ({ role: 'user', content: text }) as AgentInputItem

describe('inspector pipeline view (queue mode, real Redis)', () => {
  const queueName = uniqueId('test')
  let memory: Memory

  beforeAll(async () => {
    memory = await createMemory({ database: { url: inject('databaseUrl') }, queue: { url: inject('redisUrl'), name: queueName }, openai: false, env: false })
  })
  afterAll(async () => {
    await memory.close()
  })

  it("shows queue counts, the user's own failed jobs with their sanitised reasons, and re-enqueues them", async () => {
    const app = await memory.inspector({ allowWrites: true })
    const ada = { userId: uniqueId('ada'), sessionId: uniqueId('s') }
    const bob = { userId: uniqueId('bob'), sessionId: uniqueId('s') }
    for (const who of [ada, bob]) await memory.session(who.sessionId, { userId: who.userId }).addItems([user('I live in Graz.')])
    const pipelineOf = async (userId: string) =>
      (await (await app.request(`/api/users/${encodeURIComponent(userId)}/pipeline`)).json()) as {
        mode: string
        counts: { failed: number }
        failed: Array<{ sessionId: string; reason: string }>
        sessions: Array<{ sessionId: string; lagging: boolean }>
      }

    // A worker that fails every job for good, with a reason shaped as the real worker sanitises it.
    const failing = new Worker(queueName, async () => {
      throw new UnrecoverableError('extraction_failed (problem: refusal)')
    }, { connection: { url: inject('redisUrl') } as never })
    try {
      await waitFor(async () => ((await pipelineOf(ada.userId)).counts.failed >= 2 ? true : undefined), 'both jobs to fail')
    } finally {
      await failing.close()
    }
    const failed = await pipelineOf(ada.userId)
    expect(failed.mode).toBe('queue')
    expect(failed.failed).toEqual([expect.objectContaining({ sessionId: ada.sessionId, reason: 'extraction_failed (problem: refusal)' })])
    expect(failed.sessions).toEqual([expect.objectContaining({ sessionId: ada.sessionId, lagging: true })])

    // Another user's session cannot be re-enqueued through ada.
    const path = (who: typeof ada) => `/api/users/${encodeURIComponent(ada.userId)}/pipeline/sessions/${encodeURIComponent(who.sessionId)}/reenqueue`
    expect((await app.request(path(bob), { method: 'POST', headers: { [WRITE_HEADER]: '1' } })).status).toBe(404)

    await memory.worker({ concurrency: 1, sweepIntervalMs: 0 })
    expect((await app.request(path(ada), { method: 'POST', headers: { [WRITE_HEADER]: '1' } })).status).toBe(200)
    const healed = await waitFor(async () => {
      const view = await pipelineOf(ada.userId)
      return view.sessions[0]?.lagging === false ? view : undefined
    }, "ada's session to be extracted")
    expect(healed.failed).toEqual([])
    expect((await pipelineOf(bob.userId)).failed).toEqual([expect.objectContaining({ sessionId: bob.sessionId })])
  })
})
