import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { formatMisses, runEval } from '../../../eval/run-eval.js'

/** One user who said two things; one question the offline pipeline answers, one it cannot (no shared word). */
const DATASET = {
  conversations: [
    {
      id: 'c1',
      userId: 'u1',
      sessions: [
        {
          id: 's1',
          at: '2024-01-10T10:00:00Z',
          turns: [
            { id: 't1', role: 'user', text: 'I live in Lisbon with my partner.' },
            { id: 't2', role: 'user', text: 'Biscuit lies on my feet every evening.' },
          ],
        },
      ],
      questions: [
        { id: 'q1', question: 'Where does the user live?', answer: 'Lisbon', evidence: ['t1'], category: 'single-hop' },
        { id: 'q2', question: 'What pets are there at home?', answer: 'Biscuit', evidence: ['t2'], category: 'single-hop' },
      ],
    },
  ],
}

describe('npm run eval -- --misses', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('lists each question the fused search missed, with the evidence turn and what came back instead', async () => {
    dir = await mkdtemp(join(tmpdir(), 'factline-eval-misses-'))
    const data = join(dir, 'dataset.json')
    await writeFile(data, JSON.stringify(DATASET))

    const report = await runEval({ k: 1, data, modes: ['facts', 'fused'], misses: true })
    expect('misses' in report).toBe(true)
    const misses = 'misses' in report ? report.misses : []
    expect(misses.map((m) => m.id)).toEqual(['q2'])
    expect(misses[0]).toMatchObject({
      category: 'single-hop',
      mode: 'fused',
      question: 'What pets are there at home?',
      evidence: ['Biscuit lies on my feet every evening.'],
    })
    expect(misses[0]!.top).toHaveLength(1)
    expect(misses[0]!.top[0]!.text).not.toContain('Biscuit')

    const text = formatMisses(misses)
    expect(text).toContain('1 question(s) whose evidence no hit cites')
    expect(text).toContain('q2 [single-hop, fused] What pets are there at home?')
    expect(text).toContain('  evidence: Biscuit lies on my feet every evening.')

    // Without the flag the report is as before.
    expect('misses' in (await runEval({ k: 1, data, modes: ['fused'] }))).toBe(false)
  }, 120_000)
})
