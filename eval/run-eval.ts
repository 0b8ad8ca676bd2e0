/**
 * Imports every conversation of an eval dataset into a fresh memory and asks each question through
 * `memory.search`, facts only, excerpts only and fused, then prints evidence hit@k, answer-string
 * hit, the tokens the context block would inject, and facts per user turn, per category.
 *
 *   npm run eval                                   offline, embedded PGlite, --k 10
 *   npm run eval -- --k 5 --json report.json       JSON report to a file (`-` for stdout)
 *   npm run eval -- --data my.json --types fused   another dataset, one mode
 *   npm run eval -- --misses                       also: each question fused search missed, with its evidence and top hits
 *   npm run eval -- --answer                       also: a model answers from the fused context (needs OPENAI_API_KEY)
 *
 * DATABASE_URL set: a fresh scratch database on that server, dropped afterwards. OPENAI_API_KEY
 * (and OPENAI_BASE_URL) set: the LLM extractor and OpenAI embeddings instead of the offline pair;
 * `--answer` then asks the model (`--answer-model`, else FACTLINE_ANSWER_MODEL, else gpt-4o-mini)
 * to answer from the context block, judged by normalized string match (`answer-eval.ts`).
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { AgentInputItem } from '@openai/agents'
import { sql } from 'kysely'
import { createScratchDb, type ScratchDb } from '../bench/lib/scratch-db.js'
import { buildContextBlock } from '../src/context/context-block.js'
import { estimateTokens } from '../src/estimate-tokens.js'
import { contextFromHits } from '../src/context/memory-context.js'
import { createMemory, type Memory } from '../src/memory.js'
import type { SearchHitType } from '../src/recall/search.js'
import { createOpenAIClient } from '../src/openai/client.js'
import { answerFromContext, DEFAULT_ANSWER_MODEL, judgeAnswer, type Answerer } from './answer-eval.js'
import { DatasetError, loadDataset, type EvalDataset } from './dataset.js'
import { buildReport, EVAL_MODES, formatReport, scoreQuestion, type EvalMode, type ScoredQuestion } from './score-eval.js'
import { DEFAULT_DATASET_PATH } from './validate-dataset.js'

const TYPES: Record<EvalMode, SearchHitType[]> = { facts: ['fact'], excerpts: ['excerpt'], fused: ['fact', 'excerpt'] }

export interface EvalOptions {
  k: number
  data: string
  modes: EvalMode[]
  /** Search's relevance rule, to compare settings (`--relative-floor`). */
  relativeFloor?: number | undefined
  /** Search's recency weight, to compare settings (`--recency-weight`). */
  recencyWeight?: number | undefined
  /** `--answer`: a model answers each question from the fused context block. */
  answerer?: Answerer | undefined
  /** `--misses`: also list the questions whose evidence no hit of the widest mode cites. */
  misses?: boolean | undefined
}

/** A question the widest mode run (fused, else the last given) missed: what was asked, what answers it, what came back. */
export interface EvalMiss {
  id: string
  category: string
  mode: EvalMode
  question: string
  evidence: string[]
  /** The first three hits, best first. */
  top: Array<{ type: string; text: string }>
}

/** Imports the dataset: one session per dataset session, each turn stored at the session's time plus its position in seconds. */
async function importDataset(
  memory: Memory,
  dataset: EvalDataset,
): Promise<{ messageIds: Map<string, number>; turnTexts: Map<string, string>; userTurns: number }> {
  const messageIds = new Map<string, number>()
  const turnTexts = new Map<string, string>()
  let userTurns = 0
  for (const conversation of dataset.conversations) {
    for (const session of conversation.sessions) {
      const start = new Date(session.at).getTime()
      const items = session.turns.map((turn, i) => {
        const at = new Date(start + i * 1000)
        if (turn.role === 'user') userTurns++
        const item: AgentInputItem =
          turn.role === 'user'
            ? { role: 'user', content: turn.text }
            : { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text }] }
        return { ...item, at }
      })
      const result = await memory.importTranscript({
        sessionId: `${conversation.id}-${session.id}`,
        userId: conversation.userId,
        items,
      })
      session.turns.forEach((turn, i) => {
        messageIds.set(turn.id, result.messageIds[i]!)
        turnTexts.set(turn.id, turn.text)
      })
    }
  }
  await memory.flush({ timeoutMs: 600_000 })
  return { messageIds, turnTexts, userTurns }
}

export async function runEval(o: EvalOptions) {
  const dataset = await loadDataset(o.data)
  let scratch: ScratchDb | undefined
  if (process.env.DATABASE_URL) scratch = await createScratchDb(process.env.DATABASE_URL)
  const memory = await createMemory({ database: scratch ? { url: scratch.url } : { dataDir: 'memory://' }, queue: false })
  try {
    const { messageIds, turnTexts, userTurns } = await importDataset(memory, dataset)
    const scored: ScoredQuestion[] = []
    const misses: EvalMiss[] = []
    const missMode: EvalMode = o.modes.includes('fused') ? 'fused' : o.modes[o.modes.length - 1]!
    for (const conversation of dataset.conversations) {
      for (const question of conversation.questions) {
        const entry: ScoredQuestion = { category: question.category, scores: {} }
        const modes: EvalMode[] = o.answerer && !o.modes.includes('fused') ? [...o.modes, 'fused'] : o.modes
        for (const mode of modes) {
          const hits = await memory.search({
            userId: conversation.userId,
            query: question.question,
            k: o.k,
            types: TYPES[mode],
            ...(o.relativeFloor !== undefined ? { relativeFloor: o.relativeFloor } : {}),
            ...(o.recencyWeight !== undefined ? { recencyWeight: o.recencyWeight } : {}),
          })
          const block = buildContextBlock(contextFromHits(hits))
          if (mode === 'fused' && o.answerer) {
            const reply = await answerFromContext(o.answerer, question.question, block)
            entry.answered = judgeAnswer(question.answer, reply, question.category)
          }
          if (!o.modes.includes(mode)) continue
          const score = scoreQuestion(question, hits, (turn) => messageIds.get(turn), estimateTokens(block))
          entry.scores[mode] = score
          if (o.misses && mode === missMode && score.evidenceHit === false) {
            misses.push({
              id: question.id,
              category: question.category,
              mode,
              question: question.question,
              evidence: question.evidence.map((turn) => turnTexts.get(turn) ?? turn),
              top: hits.slice(0, 3).map((h) => ({ type: h.type, text: h.text })),
            })
          }
        }
        scored.push(entry)
      }
    }
    const facts = await sql<{ n: string | number }>`select count(*) as n from ${sql.table('facts')} where status = 'active'`.execute(memory.db.db)
    const report = buildReport(o.k, o.modes, scored, Number(facts.rows[0]!.n) / Math.max(1, userTurns), o.answerer?.model)
    return o.misses ? { ...report, misses } : report
  } finally {
    await memory.close()
    await scratch?.drop()
  }
}

function parseFlags(argv: string[]): EvalOptions & { json?: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      k: { type: 'string', default: '10' },
      data: { type: 'string', default: DEFAULT_DATASET_PATH },
      types: { type: 'string', default: EVAL_MODES.join(',') },
      json: { type: 'string' },
      'relative-floor': { type: 'string' },
      'recency-weight': { type: 'string' },
      answer: { type: 'boolean', default: false },
      misses: { type: 'boolean', default: false },
      'answer-model': { type: 'string' },
    },
    strict: true,
  })
  const k = Number(values.k)
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new UsageError(`--k must be an integer from 1 to 100, got ${values.k}`)
  const modes = values.types.split(',').map((t) => t.trim()) as EvalMode[]
  const unknown = modes.filter((m) => !EVAL_MODES.includes(m))
  if (modes.length === 0 || unknown.length > 0) throw new UsageError(`--types takes ${EVAL_MODES.join(', ')} (comma-separated), got ${values.types}`)
  const floor = values['relative-floor'] === undefined ? undefined : Number(values['relative-floor'])
  if (floor !== undefined && !(floor >= 0 && floor <= 1)) throw new UsageError('--relative-floor must be between 0 and 1')
  const recency = values['recency-weight'] === undefined ? undefined : Number(values['recency-weight'])
  if (recency !== undefined && !(recency >= 0 && recency <= 1)) throw new UsageError('--recency-weight must be between 0 and 1')
  let answerer: Answerer | undefined
  if (values.answer) {
    const apiKey = process.env.OPENAI_API_KEY
    if (!apiKey) throw new UsageError('--answer needs OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint): a model answers each question')
    const baseURL = process.env.OPENAI_BASE_URL
    answerer = {
      client: createOpenAIClient({ apiKey, ...(baseURL ? { baseURL } : {}) }),
      model: values['answer-model'] ?? process.env.FACTLINE_ANSWER_MODEL ?? DEFAULT_ANSWER_MODEL,
    }
  }
  return { k, data: values.data, modes, json: values.json, relativeFloor: floor, recencyWeight: recency, answerer, misses: values.misses }
}

class UsageError extends Error {}

/** The misses as text: each question, the turns that answer it, and what came back instead. */
export function formatMisses(misses: readonly EvalMiss[]): string {
  const clip = (text: string) => (text.length > 160 ? `${text.slice(0, 157)}…` : text)
  const lines = [`\n${misses.length} question(s) whose evidence no hit cites:`]
  for (const miss of misses) {
    lines.push(`\n${miss.id} [${miss.category}, ${miss.mode}] ${miss.question}`)
    for (const turn of miss.evidence) lines.push(`  evidence: ${clip(turn)}`)
    for (const hit of miss.top) lines.push(`  got ${hit.type}: ${clip(hit.text)}`)
  }
  return `${lines.join('\n')}\n`
}

async function main(argv: string[]): Promise<number> {
  let flags
  try {
    flags = parseFlags(argv)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: npm run eval -- [--k N] [--data FILE] [--types facts,excerpts,fused] [--json FILE|-] [--misses] [--answer [--answer-model M]]\n`)
    return 2
  }
  try {
    const report = await runEval(flags)
    if (flags.json === '-') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    else {
      process.stdout.write(`${formatReport(report, flags.modes)}\n`)
      if ('misses' in report) process.stdout.write(formatMisses(report.misses))
      if (flags.json) await writeFile(flags.json, `${JSON.stringify(report, null, 2)}\n`)
    }
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
