import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { HashEmbedder } from '../src/embed/hash-embedder.js'
import { rankRelatedWords, relatedWordsCases } from '../test/helpers/related-words.js'
import type { BenchContext } from './lib/context.js'
import { bytes, ms, percentile, rate, table } from './lib/stats.js'

interface Probe {
  id: string
  coldMs: number
  rssBytes: number
  heapBytes: number
  bufferBytes: number
}

const PROBE = fileURLToPath(new URL('./lib/embedder-probe.ts', import.meta.url))

/** First embed() in a fresh process, where the WordNet files are read: median of `runs`. */
async function coldStart(semantics: boolean, runs: number): Promise<Probe> {
  const probes: Probe[] = []
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE, semantics ? 'semantics' : 'plain'])
    probes.push(JSON.parse(stdout) as Probe)
  }
  probes.sort((a, b) => a.coldMs - b.coldMs)
  return probes[Math.floor(probes.length / 2)]!
}

/** Sentences of chat-fact length: the retrieval table's, cycled and varied so the word cache sees new words too. */
function corpus(count: number): string[] {
  const base = relatedWordsCases.flatMap((c) => [c.query, c.related, ...c.distractors])
  return Array.from({ length: count }, (_, i) => `${base[i % base.length]}${i >= base.length ? ` since ${2000 + (i % 25)}` : ''}`)
}

/**
 * The offline embedder with WordNet semantics (hash-v2-wordnet) against the plain hashing one
 * (hash-v1), in the same run: cold start in a fresh process, throughput over 1,000 sentences
 * after warm-up, and hit@1 on the synonym/hypernym retrieval table (test/helpers/fixtures).
 */
export async function benchEmbedder(ctx: BenchContext, options: { sentences: number; rounds: number; coldRuns: number }): Promise<string> {
  const sentences = corpus(options.sentences)
  const rows: string[][] = []
  const hits: string[][] = []
  for (const semantics of [false, true]) {
    ctx.log(`embedder: ${semantics ? 'hash-v2-wordnet' : 'hash-v1'} cold start ×${options.coldRuns}`)
    const cold = await coldStart(semantics, options.coldRuns)
    const embedder = new HashEmbedder({ semantics })
    const first = performance.now()
    await embedder.embed(sentences)
    const firstMs = performance.now() - first
    const samples: number[] = []
    for (let r = 0; r < options.rounds; r++) {
      const t = performance.now()
      await embedder.embed(sentences)
      samples.push(performance.now() - t)
    }
    const median = percentile(samples, 50)
    rows.push([
      embedder.id,
      ms(cold.coldMs),
      bytes(Math.max(0, cold.bufferBytes)),
      bytes(Math.max(0, cold.rssBytes)),
      ms(firstMs),
      ms(median),
      rate((sentences.length * 1000) / median),
    ])
    for (const dimensions of [384, 1536]) {
      const results = await rankRelatedWords(new HashEmbedder({ semantics, dimensions }))
      const count = results.filter(Boolean).length
      hits.push([`hash-${semantics ? 'v2-wordnet' : 'v1'}-${dimensions}`, `${count} / ${results.length}`, `${((count / results.length) * 100).toFixed(0)}%`])
    }
  }
  return (
    `Offline embedder, ${sentences.length} chat-length sentences per call; cold start is the first embed() in a fresh ` +
    `process (median of ${options.coldRuns}), with the memory it added; warm is the median of ${options.rounds} calls after the first.\n\n` +
    table(['embedder', 'cold start ms', 'buffers added', 'RSS added', `first ${sentences.length} ms`, `warm ${sentences.length} ms`, 'sentences/s (warm)'], rows) +
    `\n\nSynonym/hypernym retrieval table (${relatedWordsCases.length} queries, each against its related fact and three distractors; ` +
    'hit@1 = the related fact ranks first):\n\n' +
    table(['embedder', 'hit@1', 'rate'], hits)
  )
}
