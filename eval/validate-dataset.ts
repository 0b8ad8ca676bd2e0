/**
 * Validates an evaluation dataset and prints its summary, or every problem with its JSON path.
 *
 *   npm run eval:validate                      the shipped eval/data/factline-eval.json
 *   npm run eval:validate -- path/to/other.json
 *
 * Exits 1 when the dataset is invalid.
 */
import { fileURLToPath } from 'node:url'
import { DatasetError, describeDataset, loadDataset, type DatasetSummary } from './dataset.js'

export const DEFAULT_DATASET_PATH = fileURLToPath(new URL('./data/factline-eval.json', import.meta.url))

/** The summary as a few aligned lines for a terminal. */
export function formatSummary(source: string, s: DatasetSummary): string {
  const rows: [string, number | string][] = [
    ['users', s.users],
    ['sessions', s.sessions],
    ['turns', `${s.turns} (${s.userTurns} from users)`],
    ['questions', s.questions],
    ...Object.entries(s.questionsByCategory).map(([category, n]): [string, number] => [`  ${category}`, n]),
    ['sessions from', `${s.firstSessionAt} to ${s.lastSessionAt}`],
  ]
  return [`${source}: valid`, ...rows.map(([k, v]) => `  ${k.padEnd(18)} ${v}`)].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const path = argv[0] ?? DEFAULT_DATASET_PATH
  try {
    const dataset = await loadDataset(path)
    process.stdout.write(`${formatSummary(path, describeDataset(dataset))}\n`)
    return 0
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error
    process.stderr.write(`${error.message}\n`)
    return 1
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2))
}
