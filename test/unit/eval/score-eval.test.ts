import { describe, expect, it } from 'vitest'
import type { EvalQuestion } from '../../../eval/dataset.js'
import { buildReport, formatReport, scoreQuestion, summarise } from '../../../eval/score-eval.js'

const ids = new Map([
  ['t1', 101],
  ['t2', 102],
  ['t3', 103],
])
const idOf = (turn: string) => ids.get(turn)
const hit = (text: string, ...messageIds: number[]) => ({ text, sources: messageIds.map((messageId) => ({ messageId })) })
const question = (q: Partial<EvalQuestion>): EvalQuestion => ({
  id: 'q',
  question: 'Where does Priya work?',
  answer: 'Leeds General',
  evidence: ['t1'],
  category: 'single-hop',
  ...q,
})

describe('scoreQuestion', () => {
  it('counts an evidence hit when any hit cites an evidence turn, and an answer hit on a case-insensitive substring', () => {
    const s = scoreQuestion(question({}), [hit('Works at leeds general infirmary', 103, 101)], idOf, 40)
    expect(s).toEqual({ evidenceHit: true, answerHit: true, currentAboveStale: null, tokens: 40, hits: 1 })
    expect(scoreQuestion(question({}), [hit('Lives in Leeds', 102)], idOf, 10)).toMatchObject({ evidenceHit: false, answerHit: false })
  })

  it('does not score answers longer than four words, nor abstentions', () => {
    expect(scoreQuestion(question({ answer: 'at the Leeds General Infirmary hospital' }), [], idOf, 0).answerHit).toBeNull()
    const abstain = scoreQuestion(question({ category: 'abstention', evidence: [], answer: 'not mentioned' }), [hit('x', 101)], idOf, 5)
    expect(abstain).toMatchObject({ evidenceHit: null, answerHit: null, hits: 1 })
  })

  it('checks that the current value ranks above the stale one on knowledge updates', () => {
    const q = question({ category: 'knowledge-update', evidence: ['t2'], stale: ['t1'] })
    expect(scoreQuestion(q, [hit('new', 102), hit('old', 101)], idOf, 0).currentAboveStale).toBe(true)
    expect(scoreQuestion(q, [hit('old', 101), hit('new', 102)], idOf, 0).currentAboveStale).toBe(false)
    expect(scoreQuestion(q, [hit('new', 102)], idOf, 0).currentAboveStale).toBe(true)
    expect(scoreQuestion(q, [hit('old', 101)], idOf, 0).currentAboveStale).toBe(false)
  })
})

describe('buildReport', () => {
  it('has the JSON shape of issue 12 and rates over the questions each figure applies to', () => {
    const yes = scoreQuestion(question({}), [hit('Leeds General', 101)], idOf, 30)
    const no = scoreQuestion(question({}), [], idOf, 0)
    const abstain = scoreQuestion(question({ category: 'abstention', evidence: [], answer: 'not mentioned' }), [], idOf, 0)
    const report = buildReport(
      5,
      ['facts', 'fused'],
      [
        { category: 'single-hop', scores: { facts: no, fused: yes } },
        { category: 'single-hop', scores: { facts: no, fused: no } },
        { category: 'abstention', scores: { facts: abstain, fused: abstain } },
      ],
      0.25,
    )
    expect(report.k).toBe(5)
    expect(report.factsPerUserTurn).toBe(0.25)
    expect(report.categories['single-hop']).toMatchObject({ questions: 2, facts: { evidenceHit: 0 }, fused: { evidenceHit: 0.5, answerHit: 0.5 } })
    expect(report.categories.abstention).toMatchObject({ questions: 1, fused: { evidenceHit: null, meanTokens: 0 } })
    expect(report.overall.fused).toEqual(summarise([yes, no, abstain]))
    expect(formatReport(report, ['facts', 'fused'])).toContain('| **overall** | 3 | 0.0% | 0.0% | 0 | 50.0% | 50.0% | 10 |')
  })
})
