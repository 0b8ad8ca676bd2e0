import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { answersNotInEvidence, buildDataset, DATASET_PATH, serializeDataset } from '../../../eval/data/build-dataset.js'
import {
  DatasetError,
  describeDataset,
  EVAL_CATEGORIES,
  formatPath,
  loadDataset,
  parseDataset,
  type EvalCategory,
  type EvalDataset,
  type EvalQuestion,
} from '../../../eval/dataset.js'
import { locateJsonError } from '../../../eval/locate-json-error.js'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** A small valid dataset; each test breaks one thing in a fresh copy. */
function tiny(): any {
  return {
    conversations: [
      {
        id: 'c1',
        userId: 'u1',
        sessions: [
          {
            id: 'c1-s1',
            at: '2024-03-12T09:00:00Z',
            turns: [
              { id: 'c1-s1-t1', role: 'user', text: 'I started at the bakery yesterday. I live in York.' },
              { id: 'c1-s1-t2', role: 'assistant', text: 'Congratulations on the new job!' },
            ],
          },
          {
            id: 'c1-s2',
            at: '2024-05-02T18:30:00+01:00',
            turns: [
              { id: 'c1-s2-t1', role: 'user', text: 'We moved to Leeds last month.' },
              { id: 'c1-s2-t2', role: 'assistant', text: 'How are you finding Leeds?' },
            ],
          },
        ],
        questions: [
          { id: 'q1', question: 'Where did Tom start working?', answer: 'the bakery', evidence: ['c1-s1-t1'], category: 'single-hop' },
          { id: 'q2', question: 'When did Tom start at the bakery?', answer: '11 March 2024', evidence: ['c1-s1-t1'], category: 'temporal' },
          {
            id: 'q3',
            question: 'Where does Tom live?',
            answer: 'Leeds',
            evidence: ['c1-s2-t1'],
            category: 'knowledge-update',
            stale: ['c1-s1-t1'],
            staleAnswer: 'York',
          },
          { id: 'q4', question: 'What is the name of Tom\'s dog?', answer: 'not mentioned', evidence: [], category: 'abstention' },
        ],
      },
    ],
  }
}

function issuesOf(json: unknown): DatasetError {
  try {
    parseDataset(json, 'fixture.json')
  } catch (error) {
    if (error instanceof DatasetError) return error
    throw error
  }
  throw new Error('expected a DatasetError')
}

const question = (d: any, i: number) => d.conversations[0].questions[i]

describe('parseDataset', () => {
  it('accepts a valid dataset and returns it unchanged', () => {
    const d = tiny()
    expect(parseDataset(d)).toEqual(tiny())
  })

  it('names a missing evidence turn with its JSON path and conversation', () => {
    const d = tiny()
    question(d, 0).evidence = ['c1-s9-t1']
    const error = issuesOf(d)
    expect(error.code).toBe('invalid_dataset')
    expect(error.message).toBe(
      'fixture.json: conversations[0].questions[0].evidence[0]: turn "c1-s9-t1" does not exist in conversation "c1"',
    )
    expect(error.issues).toEqual([
      { path: 'conversations[0].questions[0].evidence[0]', message: 'turn "c1-s9-t1" does not exist in conversation "c1"' },
    ])
  })

  it('rejects evidence that points at an assistant turn', () => {
    const d = tiny()
    question(d, 0).evidence = ['c1-s1-t1', 'c1-s1-t2']
    expect(issuesOf(d).message).toBe(
      'fixture.json: conversations[0].questions[0].evidence[1]: turn "c1-s1-t2" is an assistant turn; evidence must point at user turns',
    )
  })

  it('rejects stale turns that do not exist or are not user turns', () => {
    const d = tiny()
    question(d, 2).stale = ['c1-s1-t2', 'nope']
    expect(issuesOf(d).issues).toEqual([
      { path: 'conversations[0].questions[2].stale[0]', message: 'turn "c1-s1-t2" is an assistant turn; stale must point at user turns' },
      { path: 'conversations[0].questions[2].stale[1]', message: 'turn "nope" does not exist in conversation "c1"' },
    ])
  })

  it('reports duplicate turn, session and question ids within a conversation', () => {
    const d = tiny()
    d.conversations[0].sessions[1].id = 'c1-s1'
    d.conversations[0].sessions[1].turns[1].id = 'c1-s1-t1'
    question(d, 1).id = 'q1'
    expect(issuesOf(d).issues).toEqual([
      { path: 'conversations[0].sessions[1].id', message: 'duplicate session id "c1-s1" (first used by conversations[0].sessions[0])' },
      {
        path: 'conversations[0].sessions[1].turns[1].id',
        message: 'duplicate turn id "c1-s1-t1" in conversation "c1" (first at conversations[0].sessions[0].turns[0].id)',
      },
      { path: 'conversations[0].questions[1].id', message: 'duplicate question id "q1" (first used by conversations[0].questions[0])' },
    ])
  })

  it('reports duplicate conversation ids and a user with two conversations', () => {
    const d = tiny()
    d.conversations.push(tiny().conversations[0])
    expect(issuesOf(d).issues).toEqual([
      { path: 'conversations[1].id', message: 'duplicate conversation id "c1" (first used by conversations[0])' },
      { path: 'conversations[1].userId', message: 'duplicate userId "u1" (first used by conversations[0])' },
    ])
  })

  it('allows the same turn ids in different conversations', () => {
    const d = tiny()
    const other = tiny().conversations[0]
    other.id = 'c2'
    other.userId = 'u2'
    d.conversations.push(other)
    expect(parseDataset(d).conversations).toHaveLength(2)
  })

  it('requires stale and staleAnswer on knowledge-update questions', () => {
    const d = tiny()
    delete question(d, 2).stale
    delete question(d, 2).staleAnswer
    expect(issuesOf(d).issues).toEqual([
      { path: 'conversations[0].questions[2]', message: 'knowledge-update question "q3" needs "stale" (the turn ids holding the old value)' },
      { path: 'conversations[0].questions[2]', message: 'knowledge-update question "q3" needs "staleAnswer" (the old value)' },
    ])
  })

  it('rejects a stale turn that comes after the current value, or is also evidence', () => {
    const d = tiny()
    question(d, 2).evidence = ['c1-s1-t1']
    question(d, 2).stale = ['c1-s2-t1']
    expect(issuesOf(d).message).toContain(
      'conversations[0].questions[2].stale: stale turn "c1-s2-t1" comes after the evidence; the old value must precede the current one',
    )
    question(d, 2).stale = ['c1-s1-t1']
    expect(issuesOf(d).message).toContain('conversations[0].questions[2].stale: turn "c1-s1-t1" is both evidence and stale')
  })

  it('keeps stale and staleAnswer to knowledge-update questions', () => {
    const d = tiny()
    question(d, 0).stale = ['c1-s1-t1']
    question(d, 0).staleAnswer = 'York'
    expect(issuesOf(d).issues).toEqual([
      { path: 'conversations[0].questions[0].stale', message: 'only knowledge-update questions have "stale" (this one is single-hop)' },
      { path: 'conversations[0].questions[0].staleAnswer', message: 'only knowledge-update questions have "staleAnswer" (this one is single-hop)' },
    ])
  })

  it('rejects abstention questions with evidence or another answer', () => {
    const d = tiny()
    question(d, 3).evidence = ['c1-s1-t1']
    question(d, 3).answer = 'Rex'
    expect(issuesOf(d).issues).toEqual([
      { path: 'conversations[0].questions[3].evidence', message: 'abstention question "q4" must have no evidence (got 1)' },
      { path: 'conversations[0].questions[3].answer', message: 'abstention question "q4" must answer "not mentioned" (got "Rex")' },
    ])
  })

  it('requires evidence on every other category', () => {
    const d = tiny()
    question(d, 1).evidence = []
    expect(issuesOf(d).message).toBe(
      'fixture.json: conversations[0].questions[1].evidence: temporal question "q2" needs at least one evidence turn',
    )
  })

  it('rejects sessions out of chronological order, comparing instants across offsets', () => {
    const d = tiny()
    d.conversations[0].sessions[1].at = '2024-03-12T10:00:00+02:00'
    expect(issuesOf(d).message).toBe(
      'fixture.json: conversations[0].sessions[1].at: session "c1-s2" at 2024-03-12T10:00:00+02:00 is not after sessions[0] at 2024-03-12T09:00:00Z; sessions must be in chronological order',
    )
  })

  it('reports shape errors with their paths: unknown keys, bad dates, empty ids, unknown categories', () => {
    const d = tiny()
    d.conversations[0].sessions[0].date = '2024-03-12'
    d.conversations[0].sessions[1].at = '12 March 2024'
    d.conversations[0].sessions[1].turns[1].id = ''
    question(d, 0).category = 'single_hop'
    const error = issuesOf(d)
    expect(error.code).toBe('invalid_dataset')
    expect(error.issues.map((i) => i.path)).toEqual([
      'conversations[0].sessions[0]',
      'conversations[0].sessions[1].at',
      'conversations[0].sessions[1].turns[1].id',
      'conversations[0].questions[0].category',
    ])
    expect(error.issues[0]!.message).toContain('"date"')
    expect(error.message).toMatch(/^fixture\.json: 4 problems\n {2}conversations\[0\]\.sessions\[0\]: /)
    expect(error.message).toContain('\n  conversations[0].sessions[1].turns[1].id: must not be empty')
  })

  it('rejects ids with spaces', () => {
    const d = tiny()
    d.conversations[0].id = 'c 1'
    expect(issuesOf(d).message).toBe(
      'fixture.json: conversations[0].id: must start with a letter or digit and use only letters, digits, ".", "_", ":" or "-"',
    )
  })

  it('rejects blank text and oversize turns', () => {
    const d = tiny()
    d.conversations[0].sessions[0].turns[0].text = '   '
    d.conversations[0].sessions[0].turns[1].text = 'x'.repeat(4001)
    expect(issuesOf(d).issues.map((i) => [i.path, i.message])).toEqual([
      ['conversations[0].sessions[0].turns[0].text', 'must not be blank'],
      ['conversations[0].sessions[0].turns[1].text', expect.stringContaining('4000')],
    ])
  })

  it('lists every cross-reference problem at once', () => {
    const d = tiny()
    question(d, 0).evidence = ['missing-1']
    question(d, 1).evidence = ['missing-2']
    const error = issuesOf(d)
    expect(error.issues).toHaveLength(2)
    expect(error.message.split('\n')).toEqual([
      'fixture.json: 2 problems',
      '  conversations[0].questions[0].evidence[0]: turn "missing-1" does not exist in conversation "c1"',
      '  conversations[0].questions[1].evidence[0]: turn "missing-2" does not exist in conversation "c1"',
    ])
  })

  it('names the source "dataset" when none is given', () => {
    expect(() => parseDataset({})).toThrow(/^dataset: conversations: /)
  })
})

describe('loadDataset', () => {
  const tempFile = async (name: string, text: string) => {
    const path = join(await mkdtemp(join(tmpdir(), 'factline-eval-')), name)
    await writeFile(path, text)
    return path
  }

  it('reads and validates a file', async () => {
    const path = await tempFile('ok.json', JSON.stringify(tiny()))
    expect((await loadDataset(path)).conversations[0]!.questions).toHaveLength(4)
  })

  it('names the file, line and column of invalid JSON', async () => {
    const path = await tempFile('broken.json', '{\n  "conversations": [\n    {"id": "c1",}\n  ]\n}\n')
    const error = await loadDataset(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DatasetError)
    expect(error).toMatchObject({ code: 'invalid_json', source: path })
    expect((error as DatasetError).message).toBe(`${path}: invalid JSON at line 3, column 17: Expected double-quoted property name`)
  })

  it('reports a truncated file at its end', async () => {
    const path = await tempFile('cut.json', '{"conversations": [')
    await expect(loadDataset(path)).rejects.toThrow(`${path}: invalid JSON at line 1, column 20: Unexpected end of JSON input`)
  })

  it('names the file in validation errors', async () => {
    const d = tiny()
    question(d, 0).evidence = ['c1-s9-t1']
    const path = await tempFile('bad.json', JSON.stringify(d))
    await expect(loadDataset(path)).rejects.toMatchObject({
      code: 'invalid_dataset',
      message: `${path}: conversations[0].questions[0].evidence[0]: turn "c1-s9-t1" does not exist in conversation "c1"`,
    })
  })

  it('says when the file does not exist', async () => {
    await expect(loadDataset('/nonexistent/eval.json')).rejects.toMatchObject({
      code: 'read_failed',
      message: '/nonexistent/eval.json: cannot read dataset: file not found',
    })
  })
})

describe('locateJsonError', () => {
  it('finds the offset V8 reports, as line and column', () => {
    expect(locateJsonError('{"a": [}')).toEqual({ offset: 7, line: 1, column: 8 })
    expect(locateJsonError('{"a": 1,\n}')).toEqual({ offset: 9, line: 2, column: 1 })
    expect(locateJsonError('[1 2]')).toEqual({ offset: 3, line: 1, column: 4 })
    expect(locateJsonError('{"a": "x\ny"}')).toEqual({ offset: 8, line: 1, column: 9 })
    expect(locateJsonError('{"a": 01}')).toEqual({ offset: 7, line: 1, column: 8 })
    expect(locateJsonError('{} x')).toEqual({ offset: 3, line: 1, column: 4 })
    expect(locateJsonError('')).toEqual({ offset: 0, line: 1, column: 1 })
  })

  it('accepts everything JSON.parse accepts', () => {
    const text = '{"a": [1, -2.5e3, {"b": "\\u00e9\\n"}], "c": null, "d": true, "e": false, "f": ""}'
    expect(JSON.parse(text)).toBeTruthy()
    expect(locateJsonError(text)).toBeUndefined()
  })
})

describe('describeDataset', () => {
  it('counts users, sessions, turns and questions per category', () => {
    expect(describeDataset(parseDataset(tiny()))).toEqual({
      users: 1,
      conversations: 1,
      sessions: 2,
      turns: 4,
      userTurns: 2,
      questions: 4,
      questionsByCategory: { 'single-hop': 1, 'multi-hop': 0, temporal: 1, 'knowledge-update': 1, abstention: 1 },
      firstSessionAt: '2024-03-12T09:00:00Z',
      lastSessionAt: '2024-05-02T18:30:00+01:00',
    })
  })
})

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatPath(['conversations', 2, 'questions', 14, 'evidence', 0])).toBe('conversations[2].questions[14].evidence[0]')
    expect(formatPath([])).toBe('')
  })
})

describe('the shipped dataset (eval/data/factline-eval.json)', async () => {
  const dataset = await loadDataset(DATASET_PATH)
  const summary = describeDataset(dataset)

  it('meets the minimum size: 8 users, 25 sessions, 300 questions', () => {
    expect(summary.users).toBeGreaterThanOrEqual(8)
    expect(summary.conversations).toBe(summary.users)
    expect(summary.sessions).toBeGreaterThanOrEqual(25)
    expect(summary.questions).toBeGreaterThanOrEqual(300)
  })

  it('has every category, with at least 40 knowledge-update and 30 abstention questions', () => {
    for (const category of EVAL_CATEGORIES) expect(summary.questionsByCategory[category]).toBeGreaterThan(0)
    expect(summary.questionsByCategory['knowledge-update']).toBeGreaterThanOrEqual(40)
    expect(summary.questionsByCategory.abstention).toBeGreaterThanOrEqual(30)
    expect(summary.questionsByCategory['single-hop']).toBeGreaterThanOrEqual(100)
    expect(summary.questionsByCategory['multi-hop']).toBeGreaterThanOrEqual(45)
    expect(summary.questionsByCategory.temporal).toBeGreaterThanOrEqual(55)
  })

  it('gives each user 3 to 4 sessions of 8 to 20 turns spread over months', () => {
    for (const c of dataset.conversations) {
      expect(c.sessions.length).toBeGreaterThanOrEqual(3)
      for (const s of c.sessions) {
        expect(s.turns.length).toBeGreaterThanOrEqual(8)
        expect(s.turns.length).toBeLessThanOrEqual(20)
      }
      const days = (Date.parse(c.sessions.at(-1)!.at) - Date.parse(c.sessions[0]!.at)) / 86_400_000
      expect(days).toBeGreaterThan(90)
    }
  })

  it('points evidence at the turns that hold the answer', () => {
    const c1 = dataset.conversations.find((c) => c.id === 'c1')!
    const turn = (id: string) => c1.sessions.flatMap((s) => s.turns).find((t) => t.id === id)!
    const dog = c1.questions.find((q) => q.question === "What is the name of Priya's dog?")!
    expect(dog).toMatchObject({ answer: 'Biscuit', category: 'single-hop' })
    expect(turn(dog.evidence[0]!).text).toContain('Biscuit')
    const ward = c1.questions.find((q) => q.question === 'Which department does Priya work in?')!
    expect(ward).toMatchObject({ category: 'knowledge-update', answer: 'intensive care unit', staleAnswer: 'A&E' })
    expect(turn(ward.evidence[0]!).text).toContain('intensive care unit')
    expect(ward.stale!.map((id) => turn(id).text).join(' ')).toContain('A&E')
  })

  it('has each short single-hop and knowledge-update answer verbatim in its evidence', () => {
    const missing = answersNotInEvidence(dataset).filter((line) => /\((single-hop|knowledge-update)\)/.test(line))
    // the exceptions are derived on purpose: "wife" after "we got married", a date written as "the 15th of November"
    expect(missing).toEqual(['c3-q35 (knowledge-update): wife', 'c6-q37 (knowledge-update): fiancée', 'c8-q32 (knowledge-update): 15 November 2024'])
  })

  it('is exactly what eval/data/build-dataset.ts writes from the conversation sources', async () => {
    expect(await readFile(DATASET_PATH, 'utf8')).toBe(serializeDataset(buildDataset()))
  })

  it('exports types that match the JSON shape', () => {
    expectTypeOf(dataset).toEqualTypeOf<EvalDataset>()
    expectTypeOf<EvalQuestion['category']>().toEqualTypeOf<EvalCategory>()
    expectTypeOf<EvalQuestion['stale']>().toEqualTypeOf<string[] | undefined>()
  })
})

describe('eval/validate-dataset.ts', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'eval/validate-dataset.ts', ...args], { cwd: repoRoot }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    )

  it('prints the summary of the shipped dataset and exits 0', async () => {
    const r = await run([])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('factline-eval.json: valid')
    expect(r.stdout).toMatch(/ {2}users {14}8\n/)
    expect(r.stdout).toMatch(/ {4}knowledge-update \d+\n/)
  })

  it('prints every problem and exits 1 on an invalid dataset', async () => {
    const d = tiny()
    question(d, 0).evidence = ['c1-s1-t2']
    question(d, 3).evidence = ['c1-s1-t1']
    const path = join(await mkdtemp(join(tmpdir(), 'factline-eval-')), 'bad.json')
    await writeFile(path, JSON.stringify(d))
    const r = await run([path])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `${path}: 2 problems\n` +
        '  conversations[0].questions[0].evidence[0]: turn "c1-s1-t2" is an assistant turn; evidence must point at user turns\n' +
        '  conversations[0].questions[3].evidence: abstention question "q4" must have no evidence (got 1)\n',
    )
  })
})
