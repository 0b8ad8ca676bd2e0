/**
 * Run in a fresh process by bench/embedder.ts: times a HashEmbedder's first embed() call, which
 * with semantics on includes reading WordNet, and reports the memory it added. Prints one JSON line.
 *
 *   node --import tsx bench/lib/embedder-probe.ts semantics|plain
 */
import { HashEmbedder } from '../../src/embed/hash-embedder.js'

const semantics = process.argv[2] === 'semantics'
const embedder = new HashEmbedder({ semantics })
globalThis.gc?.()
const before = process.memoryUsage()
const started = performance.now()
await embedder.embed(['Has two cats named Miso and Tofu'])
const coldMs = performance.now() - started
globalThis.gc?.()
const after = process.memoryUsage()
process.stdout.write(
  `${JSON.stringify({
    id: embedder.id,
    coldMs,
    rssBytes: after.rss - before.rss,
    heapBytes: after.heapUsed - before.heapUsed,
    bufferBytes: after.arrayBuffers - before.arrayBuffers,
  })}\n`,
)
