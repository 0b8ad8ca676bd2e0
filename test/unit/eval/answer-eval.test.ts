import { describe, expect, it } from 'vitest'
import { judgeAnswer, normalizeAnswer } from '../../../eval/answer-eval.js'
import { buildReport, formatReport } from '../../../eval/score-eval.js'

describe('judgeAnswer (normalized string match)', () => {
  it('accepts the gold answer inside a reply, whatever the case, accents, punctuation or articles', () => {
    expect(normalizeAnswer('The  Intensive-Care Unit!')).toBe('intensive care unit')
    expect(judgeAnswer('intensive care unit', 'She works in the Intensive Care Unit.', 'knowledge-update')).toBe(true)
    expect(judgeAnswer('Podgórze', 'podgorze', 'knowledge-update')).toBe(true)
    expect(judgeAnswer('Miso and Tofu', 'Tofu and Miso', 'single-hop')).toBe(true)
  })

  it('rejects a different value, a partial one, and a reply that says it does not know', () => {
    expect(judgeAnswer('Kafka', 'RabbitMQ', 'knowledge-update')).toBe(false)
    expect(judgeAnswer('senior accountant', 'accountant', 'knowledge-update')).toBe(false)
    expect(judgeAnswer('Lisbon', 'Not mentioned (maybe Lisbon)', 'single-hop')).toBe(false)
    expect(judgeAnswer('Lisbon', '', 'single-hop')).toBe(false)
  })

  it('counts an abstention right only when the reply says the memory does not know', () => {
    expect(judgeAnswer('not mentioned', 'Not mentioned.', 'abstention')).toBe(true)
    expect(judgeAnswer('not mentioned', "I don't know.", 'abstention')).toBe(true)
    expect(judgeAnswer('not mentioned', 'Paris', 'abstention')).toBe(false)
  })
})

describe('answer accuracy in the report', () => {
  it('is computed per category and printed with the model and judge', () => {
    const report = buildReport(
      10,
      ['fused'],
      [
        { category: 'single-hop', scores: {}, answered: true },
        { category: 'single-hop', scores: {}, answered: false },
        { category: 'abstention', scores: {}, answered: true },
      ],
      0.5,
      'gpt-test',
    )
    expect(report.answering).toEqual({ model: 'gpt-test', judge: 'normalized-match', overall: 2 / 3, categories: { 'single-hop': 0.5, abstention: 1 } })
    expect(formatReport(report, ['fused'])).toContain('answer accuracy (gpt-test, fused context, normalized-match): overall 66.7%; single-hop 50.0%, abstention 100.0%')
    expect(buildReport(10, ['fused'], [], 0).answering).toBeUndefined()
  })
})
