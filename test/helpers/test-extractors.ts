import type { CandidateFact, ExtractionInput, Extractor } from '../../src/extractors/extractor.js'

/**
 * Wraps an extractor and makes it slow, announcing each start: lets a test kill a worker while
 * a job is provably in its model call, before anything of it is committed.
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

/** One held `extract` call of a {@link GatedExtractor}. */
export interface GatedCall {
  input: ExtractionInput
  /** Lets the call go on to the wrapped extractor. */
  release(): void
}

/**
 * Wraps an extractor and holds every call until the test releases it, so a test can act while a
 * model call is provably in flight, and choose which of two racing calls returns first.
 */
export class GatedExtractor implements Extractor {
  readonly id: string
  readonly model: string | null
  readonly #calls: GatedCall[] = []
  readonly #arrivals: Array<() => void> = []
  #open = false

  constructor(private readonly inner: Extractor) {
    this.id = inner.id
    this.model = inner.model
  }

  async extract(input: ExtractionInput, signal?: AbortSignal): Promise<CandidateFact[]> {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    this.#calls.push({ input, release })
    for (const wake of this.#arrivals.splice(0)) wake()
    if (!this.#open) await gate
    return this.inner.extract(input, signal)
  }

  /** The `index`th call (from 0), once it has started. */
  async call(index: number): Promise<GatedCall> {
    while (this.#calls.length <= index) await new Promise<void>((resolve) => this.#arrivals.push(resolve))
    return this.#calls[index]!
  }

  /** How many calls have started. */
  get started(): number {
    return this.#calls.length
  }

  /** Releases every held call and lets later ones through at once. */
  open(): void {
    this.#open = true
    for (const call of this.#calls) call.release()
  }
}
