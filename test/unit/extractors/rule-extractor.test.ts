import { describe, expect, it } from 'vitest'
import type { ExistingFact, ExtractionItem } from '../../../src/extractors/extractor.js'
import { RuleExtractor } from '../../../src/extractors/rules/rule-extractor.js'

type Expected = { kind: string; key: string | null; content: string }

const SESSION = 'session-1'

function userItem(text: string, messageId = 1, role = 'user'): ExtractionItem {
  return { messageId, sessionId: SESSION, role, text }
}

async function extract(items: ExtractionItem[], existingFacts: ExistingFact[] = [], extractor = new RuleExtractor()) {
  return extractor.extract({ userId: 'user-1', namespace: 'default', items, existingFacts })
}

async function shapes(text: string): Promise<Expected[]> {
  const facts = await extract([userItem(text)])
  return facts.map(({ kind, key, content }) => ({ kind: kind ?? '', key, content }))
}

const name = (content: string): Expected => ({ kind: 'name', key: 'name', content })
const lives = (content: string): Expected => ({ kind: 'location', key: 'home_location', content })
const pref = (key: string, content: string): Expected => ({ kind: 'preference', key, content })
const note = (content: string): Expected => ({ kind: 'note', key: null, content })

const TABLE: Array<[string, Expected[]]> = [
  // names
  ['My name is Ada', [name('Name is Ada')]],
  ["my name's Grace Hopper.", [name('Name is Grace Hopper')]],
  ["I'm Ada Lovelace", [name('Name is Ada Lovelace')]],
  ["Hi, I'm Ada!", [name('Name is Ada')]],
  ['Please call me Ada', [name('Name is Ada')]],
  ['I go by Addie', [name('Name is Addie')]],
  // locations
  ['I live in Berlin.', [lives('Lives in Berlin')]],
  ["I'm based in Lisbon", [lives('Lives in Lisbon')]],
  ['I moved to Oslo last year', [lives('Lives in Oslo')]],
  ['I live in St. Louis with my wife', [lives('Lives in St. Louis')]],
  ['i live in berlin now', [lives('Lives in berlin')]],
  ["I'm from Spain", [{ kind: 'location', key: 'origin', content: 'Is from Spain' }]],
  ['I no longer live in Berlin', [lives('No longer lives in Berlin')]],
  // work
  ['I work as a data engineer', [{ kind: 'work', key: 'job_title', content: 'Works as a data engineer' }]],
  ["I'm a nurse", [{ kind: 'work', key: 'job_title', content: 'Is a nurse' }]],
  ['I work at Acme', [{ kind: 'work', key: 'employer', content: 'Works at Acme' }]],
  ['I work for Acme Corp.', [{ kind: 'work', key: 'employer', content: 'Works at Acme Corp' }]],
  [
    "I'm a software engineer at Google",
    [
      { kind: 'work', key: 'job_title', content: 'Is a software engineer' },
      { kind: 'work', key: 'employer', content: 'Works at Google' },
    ],
  ],
  ['I just joined Stripe', [{ kind: 'work', key: 'employer', content: 'Works at Stripe' }]],
  // likes, dislikes, preferences
  ['I like Rust', [pref('opinion_rust', 'Likes Rust')]],
  ['I really love TypeScript!', [pref('opinion_typescript', 'Loves TypeScript')]],
  ['I hate Java', [pref('opinion_java', 'Hates Java')]],
  ["I don't like Rust", [pref('opinion_rust', 'Dislikes Rust')]],
  ["Actually, I don't like Rust anymore", [pref('opinion_rust', 'No longer likes Rust')]],
  ["I can't stand meetings", [pref('opinion_meetings', 'Hates meetings')]],
  ['I enjoy hiking in the Alps', [pref('opinion_hiking_in_the_alps', 'Enjoys hiking in the Alps')]],
  ['I prefer tabs over spaces', [pref('preference_spaces_vs_tabs', 'Prefers tabs over spaces')]],
  ['Actually I prefer spaces to tabs.', [pref('preference_spaces_vs_tabs', 'Prefers spaces over tabs')]],
  ['I prefer TypeScript', [pref('opinion_typescript', 'Prefers TypeScript')]],
  ['I like tea more than coffee', [pref('preference_coffee_vs_tea', 'Prefers tea over coffee')]],
  ["I'm a big fan of Postgres", [pref('opinion_postgres', 'Likes Postgres')]],
  ['My favourite editor is Neovim', [pref('favorite_editor', 'Favorite editor is Neovim')]],
  ['I prefer C++ over C#', [pref('preference_cpp_vs_csharp', 'Prefers C++ over C#')]],
  // notes
  ["Please remember that I'm allergic to peanuts", [note('User is allergic to peanuts')]],
  ['Remember that my sister lives in Rome', [note('Their sister lives in Rome')]],
  ['Note that we deploy on Fridays', [note('They deploy on Fridays')]],
  ['remember: I drive a Tesla', [note('User drives a Tesla')]],
  ['Remember that my name is Ada', [name('Name is Ada')]],
  // decisions
  ['We decided to use Postgres', [{ kind: 'decision', key: 'decision_database', content: 'Decided to use Postgres' }]],
  ['We went with Hetzner instead of AWS', [{ kind: 'decision', key: 'decision_hosting', content: 'Chose Hetzner' }]],
  ['we picked React for the frontend', [{ kind: 'decision', key: 'decision_frontend_framework', content: 'Chose React for the frontend' }]],
  ['I decided to learn Spanish', [{ kind: 'decision', key: null, content: 'Decided to learn Spanish' }]],
  ['We switched from MySQL to Postgres', [{ kind: 'decision', key: 'decision_database', content: 'Switched from MySQL to Postgres' }]],
  // deadlines and dates
  ['The deadline is March 3', [{ kind: 'deadline', key: 'deadline', content: 'Deadline is March 3' }]],
  ["It's due on Friday", [{ kind: 'deadline', key: 'deadline', content: 'Deadline is Friday' }]],
  ['The report deadline is next Friday', [{ kind: 'deadline', key: 'deadline_report', content: 'Deadline for the report is next Friday' }]],
  ['My thesis is due May 1', [{ kind: 'deadline', key: 'deadline_thesis', content: 'Deadline for their thesis is May 1' }]],
  ['We launch on 2025-06-01', [{ kind: 'date', key: 'launch_date', content: 'Launch date is 2025-06-01' }]],
  ['My birthday is May 4', [{ kind: 'date', key: 'birthday', content: 'Birthday is May 4' }]],
  // tooling
  ['We deploy to Hetzner eu-central', [{ kind: 'tooling', key: 'deploy_target', content: 'Deploys to Hetzner eu-central' }]],
  ['Our stack is Node, Postgres and Redis', [{ kind: 'tooling', key: 'tech_stack', content: 'Stack is Node, Postgres and Redis' }]],
  ['I use Neovim for editing', [{ kind: 'tooling', key: 'tool_editing', content: 'Uses Neovim for editing' }]],
  // punctuation, asides and discourse markers
  ['oh and btw I hate YAML 🙃', [pref('opinion_yaml', 'Hates YAML')]],
  ['I like Rust (a lot) :)', [pref('opinion_rust', 'Likes Rust')]],
  ["I'm Sarah, a nurse from Leeds", [name('Name is Sarah')]],
  ['Wait, I work at Initech now', [{ kind: 'work', key: 'employer', content: 'Works at Initech' }]],
  ['I no longer work at Acme', [{ kind: 'work', key: 'employer', content: 'No longer works at Acme' }]],
  ['I live in Berlin, Germany', [lives('Lives in Berlin, Germany')]],
  ['We use GitHub Actions for CI', [{ kind: 'tooling', key: 'tool_ci', content: 'Uses GitHub Actions for CI' }]],
  ['I was born on 4 May 1990', [{ kind: 'date', key: 'birthday', content: 'Birthday is 4 May 1990' }]],
  ['Our deadline for the MVP is end of the month', [{ kind: 'deadline', key: 'deadline_mvp', content: 'Deadline for the MVP is end of the month' }]],
  // several facts in one message
  [
    'My name is Ada and I live in Berlin. I love Rust; I work at Acme.',
    [name('Name is Ada'), lives('Lives in Berlin'), pref('opinion_rust', 'Loves Rust'), { kind: 'work', key: 'employer', content: 'Works at Acme' }],
  ],
  // nothing: questions
  ['Do I like Rust?', []],
  ['where should I live', []],
  ['I live in Berlin, where do you live?', []],
  ['What is my name?', []],
  // nothing: hypotheticals, wishes, plans
  ['If I lived in Paris I would be happy', []],
  ["I'd like a coffee", []],
  ['I would like to learn Go', []],
  ["I wish I lived in Lisbon", []],
  ["Maybe I'll move to Oslo", []],
  ["I'm moving to Oslo next month", []],
  // nothing: other people
  ['My wife lives in Rome', []],
  ['Bob prefers Go', []],
  ['My boss likes Java', []],
  ["My wife's birthday is May 4", []],
  ["Bob's report is due Friday", []],
  // nothing: negations that are not dislikes
  ["I don't live in Berlin", []],
  ["I don't work at Acme", []],
  ["I don't love meetings", []],
  // nothing: quoted text, code, reported speech
  ['He said "I live in Paris"', []],
  ['She wrote “I love Java” on the board', []],
  ['```\n# I live in Paris\n```', []],
  ['> I work at Initech', []],
  ['He told me I should move to Berlin', []],
  // nothing: chit-chat and vague objects
  ['Hi there, how are you?', []],
  ['Thanks!', []],
  ["I'm tired", []],
  ["I'm good, thanks", []],
  ['I love it', []],
  ['I like how you did that', []],
  ['Call me tomorrow', []],
  ['Remember to buy milk', []],
  ['I live in fear', []],
  ['I like both', []],
  ['I prefer not to say', []],
  ['The deadline is tight', []],
  // nothing: corrections without a slot
  ['Actually, not anymore.', []],
  ['No, that was wrong', []],
  ['We deploy to production every Friday', []],
]

describe('RuleExtractor', () => {
  it('has the rules-v1 id and no model', () => {
    const extractor = new RuleExtractor()
    expect(extractor.id).toBe('rules-v1')
    expect(extractor.model).toBeNull()
  })

  it('rejects unknown options with invalid_config', () => {
    expect(() => new RuleExtractor({ includeAssistent: true } as never)).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })

  it('has a table of at least 60 utterances, 15 of which yield nothing', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60)
    expect(TABLE.filter(([, expected]) => expected.length === 0).length).toBeGreaterThanOrEqual(15)
  })

  it.each(TABLE)('reads %j', async (text, expected) => {
    expect(await shapes(text)).toEqual(expected)
  })

  it('ignores assistant and tool text unless includeAssistant is set', async () => {
    const items = [userItem('I live in Berlin', 1, 'assistant'), userItem('I work at Acme', 2, 'function_call_result')]
    expect(await extract(items)).toEqual([])
    const withAssistant = await extract(items, [], new RuleExtractor({ includeAssistant: true }))
    expect(withAssistant).toEqual([
      { content: 'Lives in Berlin', kind: 'location', key: 'home_location', sourceMessageIds: [1], confidence: 0.72, replacesFactId: null },
    ])
  })

  it('cites the message each fact came from', async () => {
    const facts = await extract([userItem('I live in Berlin', 7), userItem('Nice weather today', 8), userItem('I work at Acme', 9)])
    expect(facts.map((f) => [f.content, f.sourceMessageIds])).toEqual([
      ['Lives in Berlin', [7]],
      ['Works at Acme', [9]],
    ])
  })

  it('sets confidence by how explicit the statement is', async () => {
    const facts = await extract([userItem('My name is Ada'), userItem("I'm Grace", 2)])
    expect(facts.map((f) => f.confidence)).toEqual([0.9, 0.7])
  })

  it('sets replacesFactId on a correction of an existing fact with the same key', async () => {
    const existing: ExistingFact[] = [
      { id: 'fact-tabs', content: 'Prefers tabs over spaces', kind: 'preference', key: 'preference_spaces_vs_tabs' },
      { id: 'fact-berlin', content: 'Lives in Berlin', kind: 'location', key: 'home_location' },
    ]
    const facts = await extract([userItem('Actually I prefer spaces over tabs', 3), userItem('I moved to Oslo', 4)], existing)
    expect(facts.map((f) => [f.content, f.key, f.replacesFactId])).toEqual([
      ['Prefers spaces over tabs', 'preference_spaces_vs_tabs', 'fact-tabs'],
      ['Lives in Oslo', 'home_location', 'fact-berlin'],
    ])
  })

  it('falls back to a content match when the existing fact has no key', async () => {
    const existing: ExistingFact[] = [
      { id: 'fact-rust', content: 'Loves Rust', kind: 'preference', key: null },
      { id: 'fact-city', content: 'Lives in Berlin', kind: null, key: null },
    ]
    const facts = await extract([userItem("I don't like Rust anymore. Actually, I live in Oslo now")], existing)
    expect(facts.map((f) => [f.content, f.replacesFactId])).toEqual([
      ['No longer likes Rust', 'fact-rust'],
      ['Lives in Oslo', 'fact-city'],
    ])
  })

  it('does not replace an existing fact that says the same thing', async () => {
    const existing: ExistingFact[] = [{ id: 'fact-berlin', content: 'Lives in Berlin', kind: 'location', key: 'home_location' }]
    const [fact] = await extract([userItem('I live in Berlin')], existing)
    expect(fact?.replacesFactId).toBeNull()
  })

  it('keeps a "no longer" statement from clobbering a different value of the slot', async () => {
    const existing: ExistingFact[] = [{ id: 'fact-oslo', content: 'Lives in Oslo', kind: 'location', key: 'home_location' }]
    const [fact] = await extract([userItem('I no longer live in Berlin')], existing)
    expect(fact).toMatchObject({ content: 'No longer lives in Berlin', key: null, replacesFactId: null })
    const [retracted] = await extract([userItem("I don't live in Oslo anymore")], existing)
    expect(retracted).toMatchObject({ content: 'No longer lives in Oslo', key: 'home_location', replacesFactId: 'fact-oslo' })
  })

  it('resolves "I meant X" against the latest keyed fact in the session', async () => {
    const facts = await extract([userItem('I live in Bergen', 1), userItem('Sorry, I meant Oslo', 2)])
    expect(facts.map((f) => [f.content, f.key, f.sourceMessageIds])).toEqual([
      ['Lives in Bergen', 'home_location', [1]],
      ['Lives in Oslo', 'home_location', [2]],
    ])
  })

  it('resolves "I meant X, not Y" against an existing fact', async () => {
    const existing: ExistingFact[] = [{ id: 'fact-acme', content: 'Works at Acme', kind: 'work', key: 'employer' }]
    const facts = await extract([userItem('I meant Initech, not Acme')], existing)
    expect(facts).toEqual([
      { content: 'Works at Initech', kind: 'work', key: 'employer', sourceMessageIds: [1], confidence: 0.7, replacesFactId: 'fact-acme' },
    ])
  })

  it('yields nothing for "I meant X" with nothing to correct', async () => {
    expect(await extract([userItem('I meant Oslo')])).toEqual([])
  })

  it('emits both the statement and its correction in order, replacing the existing fact once', async () => {
    const existing: ExistingFact[] = [{ id: 'fact-old', content: 'Lives in Paris', kind: 'location', key: 'home_location' }]
    const facts = await extract([userItem('I live in Berlin', 1), userItem('I moved to Oslo', 2)], existing)
    expect(facts.map((f) => [f.content, f.replacesFactId])).toEqual([
      ['Lives in Berlin', 'fact-old'],
      ['Lives in Oslo', null],
    ])
  })

  it('merges identical candidates in a batch, citing every message', async () => {
    const facts = await extract([userItem('I live in Berlin', 1), userItem('As I said, I live in Berlin.', 2), userItem('I live in Berlin', 3)])
    expect(facts).toHaveLength(1)
    expect(facts[0]?.sourceMessageIds).toEqual([1, 2, 3])
  })

  it('repeats a value that came back after a change, so the final state wins', async () => {
    const facts = await extract([userItem('I live in Berlin', 1), userItem('I moved to Oslo', 2), userItem('I moved to Berlin', 3)])
    expect(facts.map((f) => [f.content, f.sourceMessageIds])).toEqual([
      ['Lives in Berlin', [1]],
      ['Lives in Oslo', [2]],
      ['Lives in Berlin', [3]],
    ])
  })

  it('is deterministic', async () => {
    const items = TABLE.map(([text], i) => userItem(text, i + 1))
    const first = await extract(items)
    const second = await extract(items)
    expect(second).toEqual(first)
    expect(first.length).toBeGreaterThan(40)
  })

  it('honours an aborted signal', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      new RuleExtractor().extract({ userId: 'u', namespace: 'n', items: [userItem('I live in Berlin')], existingFacts: [] }, controller.signal),
    ).rejects.toThrow()
  })
})
