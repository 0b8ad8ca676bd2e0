/**
 * Writes eval/data/factline-eval.json from the conversation sources in `conversations/`.
 *
 *   node --import tsx eval/data/build-dataset.ts           write the JSON (after validating it)
 *   node --import tsx eval/data/build-dataset.ts --check   exit 1 if the committed JSON is stale
 *
 * Also lists short answer parts that do not appear verbatim in their evidence turns, because the
 * harness scores short gold answers by substring; the few left are derived on purpose ("two days old").
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseDataset, type EvalDataset } from '../dataset.js'
import { c1 } from './conversations/c1-priya.js'
import { c2 } from './conversations/c2-marcus.js'
import { c3 } from './conversations/c3-peggy.js'
import { c4 } from './conversations/c4-diego.js'
import { c5 } from './conversations/c5-aisha.js'
import { c6 } from './conversations/c6-leo.js'
import { c7 } from './conversations/c7-hannah.js'
import { c8 } from './conversations/c8-ravi.js'

export const DATASET_PATH = fileURLToPath(new URL('./factline-eval.json', import.meta.url))

/** The dataset built from the sources, validated. */
export function buildDataset(): EvalDataset {
  return parseDataset({ conversations: [c1, c2, c3, c4, c5, c6, c7, c8] }, 'eval/data/conversations')
}

/** The exact text written to factline-eval.json. */
export const serializeDataset = (dataset: EvalDataset) => `${JSON.stringify(dataset, null, 2)}\n`

/**
 * Short answer parts (≤ 4 words) missing from their evidence text, as `id (category): part` lines.
 * Composite answers separate their parts with "; " and each part is checked on its own; temporal
 * answers are skipped because their resolved dates are rarely written in the turns.
 */
export function answersNotInEvidence(dataset: EvalDataset): string[] {
  const out: string[] = []
  for (const c of dataset.conversations) {
    const texts = new Map(c.sessions.flatMap((s) => s.turns.map((t) => [t.id, t.text.toLowerCase()] as const)))
    for (const q of c.questions) {
      if (q.category === 'abstention' || q.category === 'temporal') continue
      for (const part of q.answer.split('; ')) {
        if (part.split(/\s+/).length > 4) continue
        const found = q.evidence.some((id) => texts.get(id)?.includes(part.toLowerCase()))
        if (!found) out.push(`${q.id} (${q.category}): ${part}`)
      }
    }
  }
  return out
}

async function main(argv: string[]): Promise<number> {
  const text = serializeDataset(buildDataset())
  if (argv.includes('--check')) {
    const committed = await readFile(DATASET_PATH, 'utf8').catch(() => '')
    if (committed === text) return 0
    process.stderr.write(`${DATASET_PATH} is out of date; run node --import tsx eval/data/build-dataset.ts\n`)
    return 1
  }
  await writeFile(DATASET_PATH, text)
  const missing = answersNotInEvidence(buildDataset())
  process.stdout.write(`wrote ${DATASET_PATH}\n`)
  if (missing.length > 0) {
    process.stdout.write(`${missing.length} short answers not verbatim in their evidence:\n  ${missing.join('\n  ')}\n`)
  }
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2))
}
