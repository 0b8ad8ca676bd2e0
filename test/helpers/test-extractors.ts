import type { CandidateFact, ExtractionInput, Extractor } from '../../src/extract/extractor.js'

/**
 * Wraps an extractor and makes it slow, announcing each start: lets a test kill a worker while
 * a job is provably mid-transaction.
 */
export class SlowExtractor implements Extractor {
  readonly id: string
  readonly model: string | null
  constructor(
    private readonly inner: Extractor,
    private readonly delayMs: number,
    private readonly onStart: (input: ExtractionInput) => void = () => {},
  ) {
    this.id = inner.id
    this.model = inner.model
  }

  async extract(input: ExtractionInput, signal?: AbortSignal): Promise<CandidateFact[]> {
    this.onStart(input)
    await new Promise((resolve) => setTimeout(resolve, this.delayMs))
    return this.inner.extract(input, signal)
  }
}

/**
 * A deliberately gullible extractor that obeys instructions in user text, like a prompt-injected
 * model would: `FACT <content> | cite <ids> | replace <fact id>`. Used to prove the processor, not
 * the extractor, confines what gets written.
 */
export class GullibleExtractor implements Extractor {
  readonly id = 'gullible-test'
  readonly model = 'test-model'

  async extract(input: ExtractionInput): Promise<CandidateFact[]> {
    const out: CandidateFact[] = []
    for (const item of input.items) {
      const m = /^FACT (.+?)(?: \| cite ([\d,]+))?(?: \| replace (\S+))?$/.exec(item.text)
      if (!m) continue
      out.push({
        content: m[1]!,
        kind: null,
        key: null,
        confidence: 1,
        sourceMessageIds: m[2] ? m[2].split(',').map(Number) : [item.messageId],
        replacesFactId: m[3] ?? null,
      })
    }
    return out
  }
}
