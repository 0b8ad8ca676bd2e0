import { randomUUID } from 'node:crypto'
import type { AgentInputItem } from '@openai/agents'
import { describe, expect, inject, it } from 'vitest'
import type { ExtractionInput, Extractor } from '../../../src/extractors/extractor.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'
import type { Logger } from '../../../src/logger.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'
import { waitFor } from '../../helpers/wait-for.js'
import { lacks } from '../../helpers/services.js'

type Level = keyof Logger

/** Every log call, as one line of text per call. */
function recordingLogger(): { logger: Logger; lines: Array<{ level: Level; text: string }> } {
  const lines: Array<{ level: Level; text: string }> = []
  const at = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, text: `${message} ${JSON.stringify(fields ?? {})}` })
  }
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines }
}

/** The rule extractor, except that a turn holding EXPLODE fails as a model refusal quoting it would. */
class FailingOnDemandExtractor implements Extractor {
  readonly id = 'failing-on-demand'
  readonly model = null
  readonly #rules = new NlpExtractor()
  async extract(input: ExtractionInput) {
    const poisoned = input.items.find((item) => item.text.includes('EXPLODE'))
    if (poisoned) throw new Error(`the model refused: "${poisoned.text}" for ${input.userId}`)
    return this.#rules.extract(input)
  }
}

async function converse(memory: Memory, userId: string, marker: string): Promise<void> {
  const session = memory.session(`chat-${randomUUID()}`, { userId })
  await session.addItems([{ role: 'user', content: `I live in Berlin. I work at ${marker} Labs.` }] as AgentInputItem[])
  await memory.flush()
  await memory.recall({ userId, query: `where does ${marker} work?` })
  await memory.sweep()
}

describe('logs', () => {
  it.skipIf(lacks('postgres', 'redis'))('at info level and above carry no user id and no transcript text (queue mode, with a worker)', async () => {
    const { logger, lines } = recordingLogger()
    const memory = await createMemory({
      database: { url: inject('databaseUrl') },
      queue: { url: inject('redisUrl'), name: uniqueId('logs') },
      extractor: new FailingOnDemandExtractor(),
      logger,
      env: false,
    })
    try {
      const worker = await memory.worker({ concurrency: 1, sweepIntervalMs: 0 })
      const userId = uniqueId('log-user')
      const marker = `zq${randomUUID().slice(0, 8)}`
      await converse(memory, userId, marker)
      // A failing job: the worker logs its failure, and the error quotes the user's words.
      await memory.session(`chat-${randomUUID()}`, { userId }).addItems([{ role: 'user', content: `EXPLODE ${marker}` }] as AgentInputItem[])
      await waitFor(async () => lines.find((l) => l.level === 'debug' && l.text.includes('failure detail')), 'the job to fail once')
      await worker.close()
      expect(lines.some((l) => l.level === 'info')).toBe(true)
      const loud = lines.filter((l) => l.level !== 'debug')
      expect(loud.filter((l) => l.text.includes(userId))).toEqual([])
      expect(loud.filter((l) => l.text.includes(marker))).toEqual([])
      await memory.forgetUser(userId)
    } finally {
      await memory.close()
    }
  })

  it('at info level and above carry no user id and no transcript text (inline mode, a failing extraction)', async () => {
    const { logger, lines } = recordingLogger()
    const memory = await createMemory({ database: { dataDir: 'memory://' }, extractor: new FailingOnDemandExtractor(), logger, env: false })
    try {
      const userId = uniqueId('log-user')
      const marker = `zq${randomUUID().slice(0, 8)}`
      await converse(memory, userId, marker)
      // A failing extraction: its error quotes the user's words and names the user.
      await memory.session(`chat-${randomUUID()}`, { userId }).addItems([{ role: 'user', content: `EXPLODE ${marker}` }] as AgentInputItem[])
      await memory.flush().catch(() => undefined)
      expect(lines.some((l) => l.level === 'warn' && l.text.includes('inline extraction failed'))).toBe(true)
      expect(lines.some((l) => l.level === 'debug' && l.text.includes(marker))).toBe(true)
      const loud = lines.filter((l) => l.level !== 'debug')
      expect(loud.filter((l) => l.text.includes(userId) || l.text.includes(marker))).toEqual([])
    } finally {
      await memory.close()
    }
  })
})
