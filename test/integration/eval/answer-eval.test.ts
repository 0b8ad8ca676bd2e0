import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, describe, expect, it } from 'vitest'
import { runEval } from '../../../eval/run-eval.js'
import { useOpenAIServer } from '../../helpers/openai-server.js'

/** A small dataset: one user, two sessions (a move), three questions. */
const DATASET = {
  conversations: [
    {
      id: 'c1',
      userId: 'u1',
      sessions: [
        { id: 's1', at: '2024-01-10T10:00:00Z', turns: [{ id: 't1', role: 'user', text: 'We live in a tiny flat in Kazimierz.' }] },
        { id: 's2', at: '2024-06-10T10:00:00Z', turns: [{ id: 't2', role: 'user', text: 'We moved! We bought a flat in Podgórze.' }] },
      ],
      questions: [
        { id: 'q1', question: 'Where does the user live?', answer: 'Podgórze', evidence: ['t2'], stale: ['t1'], staleAnswer: 'Kazimierz', category: 'knowledge-update' },
        { id: 'q2', question: 'Where did the user live before?', answer: 'Kazimierz', evidence: ['t1'], category: 'single-hop' },
        { id: 'q3', question: "What is the user's blood type?", answer: 'not mentioned', evidence: [], category: 'abstention' },
      ],
    },
  ],
}

describe('npm run eval -- --answer', () => {
  const server = useOpenAIServer()
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('asks the model to answer each question from the fused context block and judges the replies', async () => {
    dir = await mkdtemp(join(tmpdir(), 'factline-eval-'))
    const data = join(dir, 'dataset.json')
    await writeFile(data, JSON.stringify(DATASET))
    // Recorded answers, in question order: right, wrong, a correct abstention.
    server.enqueueChatCompletion('Podgorze.')
    server.enqueueChatCompletion('Podgórze')
    server.enqueueChatCompletion('Not mentioned.')
    const client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 })

    const report = await runEval({ k: 5, data, modes: ['facts'], answerer: { client, model: 'gpt-test' } })

    expect(report.answering).toEqual({
      model: 'gpt-test',
      judge: 'normalized-match',
      overall: 2 / 3,
      categories: { 'knowledge-update': 1, 'single-hop': 0, abstention: 1 },
    })
    const requests = server.requestsTo('chat/completions').map((r) => r.body as { model: string; messages: Array<{ role: string; content: string }> })
    expect(requests).toHaveLength(3)
    expect(requests[0]!.model).toBe('gpt-test')
    // The model sees factline's context block, with what the user said, and the question.
    expect(requests[0]!.messages[1]!.content).toContain('Podgórze')
    expect(requests[0]!.messages[1]!.content).toContain('Question: Where does the user live?')
    // Only the modes asked for are scored; answering used the fused search on its own.
    expect(Object.keys(report.overall)).toEqual(['facts'])
  })
})
