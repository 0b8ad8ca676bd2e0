/**
 * The offline extractor on the eval dataset: how many user turns yield at least one fact, precision
 * on the labelled sample in the test fixtures, and the time for a 1 MB message. (The regex rule
 * extractor it replaced, now removed, covered 4.6% of turns at 79% precision; see BENCHMARKS.md.)
 * Run: `node --import tsx bench/extractor-coverage.ts` (add `--dump` to print every fact, for labelling).
 */
import { readFile } from 'node:fs/promises'
import { loadDataset } from '../eval/dataset.js'
import type { CandidateFact, Extractor } from '../src/extractors/extractor.js'
import { NlpExtractor } from '../src/extractors/nlp/nlp-extractor.js'

const DATASET = new URL('../eval/data/factline-eval.json', import.meta.url)
const LABELS = new URL('../test/unit/extractors/fixtures/nlp-extractor-precision.json', import.meta.url)

interface Label {
  extractor: string
  /** `eval`: a fact produced from the eval dataset; `table`: from the unit test table's utterances. */
  source: 'eval' | 'table'
  utterance: string
  fact: string
  correct: boolean
  reason: string
}

interface Turn {
  text: string
  at: Date
}

async function loadTurns(): Promise<Turn[]> {
  const dataset = await loadDataset(DATASET.pathname)
  return dataset.conversations.flatMap((c) => c.sessions.flatMap((s) => s.turns.filter((t) => t.role === 'user').map((t) => ({ text: t.text, at: new Date(s.at) }))))
}

async function factsOf(extractor: Extractor, turn: Turn, id: number): Promise<CandidateFact[]> {
  return extractor.extract({ userId: 'bench', namespace: 'default', existingFacts: [], items: [{ messageId: id, sessionId: 'bench', role: 'user', text: turn.text, createdAt: turn.at }] })
}

const turns = await loadTurns()
const labels = JSON.parse(await readFile(LABELS, 'utf8')) as Label[]
const dump = process.argv.includes('--dump')
const rows: string[][] = [['extractor', 'user turns', 'turns with ≥1 fact', 'coverage', 'facts', 'labelled', 'precision', 'ms / turn']]
for (const extractor of [new NlpExtractor()]) {
  await factsOf(extractor, { text: 'I live in Berlin.', at: new Date() }, 1) // warm-up: the NLP model loads lazily
  let covered = 0
  let facts = 0
  const started = performance.now()
  const produced = new Set<string>()
  for (const [i, turn] of turns.entries()) {
    const found = await factsOf(extractor, turn, i + 1)
    if (found.length > 0) covered++
    facts += found.length
    for (const f of found) {
      produced.add(`${turn.text}\u0000${f.content}`)
      if (dump) console.log(JSON.stringify({ utterance: turn.text, fact: f.content }))
    }
  }
  const elapsed = performance.now() - started
  const sample = labels.filter((l) => l.extractor === extractor.id && l.source === 'eval' && produced.has(`${l.utterance}\u0000${l.fact}`))
  const correct = sample.filter((l) => l.correct).length
  rows.push([
    extractor.id,
    String(turns.length),
    String(covered),
    `${((covered / turns.length) * 100).toFixed(1)}%`,
    String(facts),
    String(sample.length),
    sample.length === 0 ? 'n/a' : `${((correct / sample.length) * 100).toFixed(1)}%`,
    (elapsed / turns.length).toFixed(2),
  ])
}
if (!dump) {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '))
  const table = labels.filter((l) => l.extractor === 'nlp-v1' && l.source === 'table')
  console.log(`nlp-v1 precision on the test-table sample: ${((table.filter((l) => l.correct).length / table.length) * 100).toFixed(1)}% of ${table.length} labelled facts`)
  const big = 'I live in Berlin and I love hiking. '.repeat(30_000).slice(0, 1_000_000)
  const nlp = new NlpExtractor()
  const started = performance.now()
  const found = await nlp.extract({ userId: 'bench', namespace: 'default', existingFacts: [], items: [{ messageId: 1, sessionId: 'bench', role: 'user', text: big }] })
  console.log(`nlp-v1 on a 1 MB message: ${(performance.now() - started).toFixed(0)} ms, ${found.length} facts (input read up to MAX_MESSAGE_CHARS)`)
}
