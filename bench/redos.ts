/**
 * Bounded work in the offline extractor (issue 10, findings 4–5): adversarial messages of 50 KB and
 * 1 MB, timed through the whole NLP extractor, beside the regex passes the old rule extractor ran.
 *
 *   npm run bench -- --only redos        (or: node --import tsx bench/redos.ts)
 *
 * The baseline is a copy of the old backtracking trims and quote patterns (the quadratic parts of
 * the old extractor; the rest of its work is not counted, so it is a lower bound). It runs only at
 * small sizes, because it is quadratic: 50 KB took 9–19 s through the old extractor and 1 MB would
 * take hours. The larger sizes are extrapolated from the growth between the two largest measured
 * sizes, marked `≈`.
 */
import { pathToFileURL } from 'node:url'
import { extractWithNlp } from '../src/extractors/nlp/nlp-extractor.js'
import { ms, table } from './lib/stats.js'

const KB = 1024
const MB = 1024 * KB

/** Inputs of about `n` characters that made the old regexes backtrack quadratically. */
export const ADVERSARIAL: Record<string, (n: number) => string> = {
  'trailing punctuation': (n) => `I like rust${','.repeat(n)}x`,
  'dash runs': (n) => `I like rust${' -'.repeat(n / 2)}x`,
  emoticons: (n) => `I like rust ${':('.repeat(n / 2)} x`,
  'unclosed ‘ quotes': (n) => '‘a '.repeat(n / 3),
  'unclosed “ quotes, then a line': (n) => `${'“'.repeat(n)}\nI live in Oslo.`,
  'unclosed « quotes, then a line': (n) => `${'«'.repeat(n)}\nI live in Oslo.`,
  'blank lines': (n) => `${'\n'.repeat(n)}x`,
  'one long token': (n) => `I like ${'a'.repeat(n)}`,
  'many short sentences': (n) => 'Nothing to see here. '.repeat(Math.ceil(n / 21)),
}

// The old passes, verbatim: removeQuoted's patterns and trimPunctuation's three trims.
const OLD_QUOTED = [
  /```[\s\S]*?(?:```|$)/g,
  /`[^`\n]*`/g,
  /^\s*>.*$/gm,
  /"[^"\n]*(?:"|$)/g,
  /“[^”\n]*(?:”|$)/g,
  /«[^»\n]*(?:»|$)/g,
  /‘[^\n]*?’(?!\p{L})/gu,
  /(?<=^|[\s([])'[^'\n]+'(?=$|[\s.,;:!?)\]])/g,
]
function oldPasses(text: string): void {
  let out = text
  for (const re of OLD_QUOTED) out = out.replace(re, ' \u0001 ')
  text
    .replace(/\s*(?:[:;]-?[()DPp]|<3)+\s*$/u, '')
    .replace(/[\s.,;:!?…)\]}'\p{Extended_Pictographic}\u{FE0F}\u{200D}-]+$/u, '')
    .replace(/^[\s,;:([{'-]+/u, '')
}

function extract(text: string): void {
  extractWithNlp({ userId: 'bench', namespace: 'default', existingFacts: [], items: [{ messageId: 1, sessionId: 'bench', role: 'user', text }] })
}

/** Best of `runs` timings, in ms: the figure least disturbed by other work on a shared machine. */
function best(runs: number, op: () => void): number {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    op()
    min = Math.min(min, performance.now() - t)
  }
  return min
}

export interface RedosOptions {
  /** Sizes timed through the new code. @defaultValue [50 KB, 1 MB] */
  sizes?: number[]
  /** Sizes the old passes are measured at; larger ones are extrapolated. @defaultValue [5 KB, 10 KB, 20 KB] */
  baselineSizes?: number[]
  runs?: number
}

export function benchRedos(options: RedosOptions = {}): string {
  const sizes = options.sizes ?? [50 * KB, MB]
  const baselineSizes = options.baselineSizes ?? [5 * KB, 10 * KB, 20 * KB]
  const runs = options.runs ?? 3
  const label = (n: number) => (n >= MB ? `${n / MB} MB` : `${n / KB} KB`)
  const rows: string[][] = []
  let worst = 0
  for (const [name, make] of Object.entries(ADVERSARIAL)) {
    extract(make(KB)) // warm up the JIT and the NLP model
    const measured = baselineSizes.map((n) => {
      const input = make(n)
      const once = best(1, () => oldPasses(input))
      // Cheap runs are repeated so one GC pause does not skew the growth estimate.
      return { n, t: once < 100 ? Math.min(once, best(2, () => oldPasses(input))) : once }
    })
    const [prev, last] = measured.slice(-2) as [{ n: number; t: number }, { n: number; t: number }]
    // Growth exponent of the old passes from the two largest sizes measured, between 1 and 2.
    const exponent = Math.min(2, Math.max(1, Math.log(last.t / prev.t) / Math.log(last.n / prev.n)))
    const row = [name, measured.map((m) => ms(m.t)).join(' / ')]
    for (const n of sizes) row.push(`≈ ${ms(last.t * (n / last.n) ** exponent)}`)
    for (const n of sizes) {
      const input = make(n)
      const whole = best(runs, () => extract(input))
      worst = Math.max(worst, whole)
      row.push(ms(whole))
    }
    rows.push(row)
  }
  return (
    table(
      [
        'input',
        `before: old passes at ${baselineSizes.map(label).join(' / ')} (ms)`,
        ...sizes.map((n) => `before: ${label(n)} (ms)`),
        ...sizes.map((n) => `after: NLP extractor, ${label(n)} (ms)`),
      ],
      rows,
    ) +
    `\n\nBest of ${runs} runs (the old passes: one run when it takes over 100 ms). "≈" scales the old passes' largest measured time by the growth ` +
    'seen between the two largest sizes (n² for the patterns that backtrack). The NLP extractor (the regex rule extractor ' +
    'is gone) reads at most 8,000 characters per message and 45 tokens per clause, after linear cleaning passes. ' +
    `Slowest NLP-extractor call: ${ms(worst)} ms (target: under 100 ms).`
  )
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`## Bounded work (ReDoS)\n\n${benchRedos()}\n`)
}
