import type OpenAI from 'openai'
import { zodResponseFormat } from 'openai/helpers/zod'
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { z } from 'zod'
import { FactlineError, parseOrThrow } from '../../errors.js'
import { clientOrApiKeySchemas, createOpenAIClient } from '../../openai/client.js'
import { errorMessage } from '../../errors.js'
import { errorStatus, requestOptions, requestOrGiveUp } from '../../openai/request.js'
import {
  ExtractionAnswerSchema,
  MAX_ITEM_CHARS,
  buildExtractionMessages,
  citableRoles,
  correctionMessages,
  type ExtractionAnswer,
} from './extraction-prompt.js'
import { CandidateFactSchema, type CandidateFact, type ExtractionInput, type Extractor } from '../extractor.js'
import { isInstructionLike } from '../instruction-like.js'
import { DEFAULT_MIN_GROUNDING, groundingScore } from './grounding.js'

/** The chat model used when none is configured. */
export const DEFAULT_OPENAI_EXTRACTION_MODEL = 'gpt-4.1-mini'

const commonOptions = {
  /** Any Chat Completions model with structured outputs. @defaultValue `'gpt-4.1-mini'` */
  model: z.string().min(1).default(DEFAULT_OPENAI_EXTRACTION_MODEL),
  /**
   * Also take facts from assistant messages, and let them be cited as sources. Off, assistant
   * text is shown to the model as context only, because what the assistant says is not what the
   * user said.
   * @defaultValue false
   */
  includeAssistant: z.boolean().default(false),
  /**
   * Sampling temperature; `null` leaves it out of the request, for models that reject it.
   * @defaultValue 0 — extraction should be repeatable.
   */
  temperature: z.number().min(0).max(2).nullable().default(0),
  /**
   * Requests per extraction when the model's answer is malformed (invalid JSON, schema violation,
   * refusal, cut off at the token limit). Each retry tells the model what was wrong.
   * @defaultValue 3
   */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /**
   * Retries per request on 408/409/429/5xx responses and connection errors, by the `openai` client itself
   * (exponential backoff with jitter, honouring `retry-after`). Other errors fail at once.
   * @defaultValue 4
   */
  maxRetries: z.number().int().min(0).max(20).default(4),
  /** @defaultValue 120000 — per-request timeout; a timeout counts as a connection error and is retried. */
  timeoutMs: z.number().int().positive().default(120_000),
  /**
   * Share of a fact's content words (names, places, numbers; not the verbs facts are phrased
   * with) that must appear in the items it cites; a fact below it is dropped as ungrounded, e.g.
   * one read from tool output but attributed to a user message. 0 turns the check off, e.g. when
   * facts are written in another language than the transcript.
   * @defaultValue 0.5
   */
  minGrounding: z.number().min(0).max(1).default(DEFAULT_MIN_GROUNDING),
}

const { withClient: WithClientSchema, withApiKey: WithApiKeySchema, either } = clientOrApiKeySchemas(
  (value) =>
    typeof (value as { chat?: { completions?: { create?: unknown } } } | null)?.chat?.completions?.create === 'function',
  commonOptions,
)

/** Options for {@link OpenAIExtractor}: an OpenAI `client`, or `apiKey` (and `baseURL`) to build one — never both. */
export const OpenAIExtractorOptionsSchema = either
// The `never` fields make TypeScript reject `{ client, apiKey }`, as the schema does at runtime.
export type OpenAIExtractorOptions =
  | (z.input<typeof WithClientSchema> & { apiKey?: never; baseURL?: never })
  | (z.input<typeof WithApiKeySchema> & { client?: never })
export type OpenAIExtractorConfig = z.output<typeof OpenAIExtractorOptionsSchema>

// Built once: the JSON schema is the same for every request.
const RESPONSE_FORMAT = zodResponseFormat(ExtractionAnswerSchema, 'facts')

/** Why an answer was rejected; `details.problem` on `extraction_failed`. */
export type ExtractionProblem = 'invalid_json' | 'schema_violation' | 'refusal' | 'truncated' | 'empty_answer' | 'request_failed'

type Rejection = { problem: ExtractionProblem; message: string; content: string | null; issues?: unknown; cause?: unknown }

/**
 * Extracts facts with an OpenAI chat model (or any compatible server) using structured outputs.
 *
 * The model sees the new transcript items with their ids and the user's existing facts with
 * theirs (see `extraction-prompt.ts`), and answers with a strict JSON schema; the answer is
 * validated with zod. Transcript text is delimited as data and the model is told to ignore
 * instructions inside it. Afterwards, whatever the model said:
 * - a citation of an item that is not in the batch, or not a user item (unless `includeAssistant`),
 *   is dropped, and a fact left with no citation is dropped;
 * - a `replacesFactId` that is not one of `existingFacts` becomes null;
 * - keys are lower-cased with runs of other characters turned into `_` (`Deploy target` →
 *   `deploy_target`);
 * - a fact that reads as an instruction to the assistant (`instruction-like.ts`) is dropped;
 * - a fact not grounded in the items it cites (fewer than `minGrounding` of its content words
 *   appear in their text) is dropped.
 *
 * A malformed answer is retried up to `maxAttempts` times; rate limits, server and connection
 * errors are retried up to `maxRetries` times per request, with backoff. An answer that is valid
 * JSON of the right shape but holds a fact our schema rejects (empty, over 2,000 characters, a
 * confidence above 1) is retried too; on the last attempt its valid facts are kept and the bad
 * ones dropped, so one bad fact never stalls a session's extraction.
 *
 * @example
 * const extractor = new OpenAIExtractor({ client: new OpenAI() })
 * const facts = await extractor.extract({ userId, namespace, items, existingFacts })
 */
export class OpenAIExtractor implements Extractor {
  readonly id = 'openai'
  readonly model: string
  readonly #client: OpenAI
  readonly #config: OpenAIExtractorConfig
  readonly #citableRoles: ReadonlySet<string>

  /** @throws FactlineError `invalid_config` for unknown options, or `client` given with `apiKey`/`baseURL`. */
  constructor(options: OpenAIExtractorOptions) {
    // The union alone would report both branches' issues; say plainly what is wrong instead.
    const given = typeof options === 'object' && options !== null ? options : {}
    if ('client' in given && ('apiKey' in given || 'baseURL' in given)) {
      throw new FactlineError(
        'invalid_config',
        'Invalid OpenAIExtractor options: pass either `client` or `apiKey` (with an optional `baseURL`), not both',
      )
    }
    const config = parseOrThrow(OpenAIExtractorOptionsSchema, options, 'invalid_config', 'Invalid OpenAIExtractor options')
    this.#config = config
    this.model = config.model
    this.#citableRoles = citableRoles(config.includeAssistant)
    this.#client = 'client' in config ? config.client : createOpenAIClient(config)
  }

  /**
   * Candidate facts from `input.items`, each citing at least one of them; `[]` without a request
   * when no item could be cited (no items, or only assistant and tool items).
   * @throws FactlineError `extraction_failed` when every attempt gave a malformed answer, or a
   * request failed for good (a non-retryable status, or retries used up). `details` holds
   * `model`, `problem` (an {@link ExtractionProblem}), `attempts` (answers, or for
   * `request_failed` the tries of that request, with its HTTP `status`) and, for a schema
   * violation, the zod `issues`. An abort, during a request or a backoff wait, rejects with `signal.reason`.
   */
  async extract(input: ExtractionInput, signal?: AbortSignal): Promise<CandidateFact[]> {
    const citable = new Set(input.items.filter((item) => this.#citableRoles.has(item.role)).map((item) => item.messageId))
    if (citable.size === 0) return []
    const existing = new Set(input.existingFacts.map((fact) => fact.id))
    const prompt = buildExtractionMessages(input.items, input.existingFacts, this.#config.includeAssistant)

    let messages = prompt
    let rejection: Rejection | undefined
    for (let attempt = 1; attempt <= this.#config.maxAttempts; attempt++) {
      const completion = await this.#complete(messages, signal)
      const answer = readAnswer(completion)
      if (!('problem' in answer)) {
        const { facts, invalid } = toCandidateFacts(answer, citable, existing)
        // On the last attempt a fact our schema rejects (e.g. over 2,000 characters) is dropped
        // alone: failing the batch again would stall the session's extraction on it for good.
        if (invalid === undefined || attempt === this.#config.maxAttempts) return this.#keepSafe(facts, input)
        rejection = { ...invalid, content: completion.choices[0]?.message.content ?? null }
      } else {
        rejection = answer
      }
      // Retrying the same request at temperature 0 would likely get the same answer back.
      messages = rejection.content === null ? prompt : [...prompt, ...correctionMessages(rejection.content, rejection.message)]
    }
    throw this.#failure(rejection, this.#config.maxAttempts)
  }

  /** Drops instruction-like facts and facts the cited items do not ground. */
  #keepSafe(facts: CandidateFact[], input: ExtractionInput): CandidateFact[] {
    // Grounded in what the model was shown of each item, not in text it never saw.
    const shown = new Map(input.items.map((item) => [item.messageId, item.text.slice(0, MAX_ITEM_CHARS)]))
    return facts.filter(
      (fact) =>
        !isInstructionLike(fact.content) &&
        groundingScore(fact.content, fact.sourceMessageIds.map((id) => shown.get(id) ?? '')) >= this.#config.minGrounding,
    )
  }

  async #complete(messages: ChatCompletionMessageParam[], signal: AbortSignal | undefined): Promise<ChatCompletion> {
    const { temperature, timeoutMs, maxRetries } = this.#config
    return requestOrGiveUp(
      signal,
      () =>
        this.#client.chat.completions.create(
          {
            model: this.model,
            messages,
            response_format: RESPONSE_FORMAT,
            ...(temperature === null ? {} : { temperature }),
          },
          requestOptions(maxRetries, timeoutMs, signal),
        ),
      (error) =>
        new FactlineError(
          'extraction_failed',
          `Extraction with ${this.model} failed: the request failed (after up to ${maxRetries} retries): ${errorMessage(error)}`,
          { cause: error, details: { model: this.model, maxRetries, problem: 'request_failed', status: errorStatus(error) } },
        ),
    )
  }

  #failure(rejection: Rejection | undefined, attempts: number): FactlineError {
    const problem = rejection?.problem ?? 'empty_answer'
    const message = rejection?.message ?? 'no answer'
    return new FactlineError(
      'extraction_failed',
      `Extraction with ${this.model} failed: ${attempts} malformed answer(s), the last one ${message}. ` +
        'Nothing was extracted; the job can be retried, or try a model that supports structured outputs.',
      {
        cause: rejection?.cause,
        details: { model: this.model, attempts, problem, ...(rejection?.issues === undefined ? {} : { issues: rejection.issues }) },
      },
    )
  }
}

/** Builds an {@link OpenAIExtractor}; see there for options and behaviour. */
export function createOpenAIExtractor(options: OpenAIExtractorOptions): OpenAIExtractor {
  return new OpenAIExtractor(options)
}

function readAnswer(completion: ChatCompletion): ExtractionAnswer | Rejection {
  const choice = completion.choices[0]
  const message = choice?.message
  if (message?.refusal) {
    return { problem: 'refusal', message: `was a refusal ("${message.refusal}")`, content: null }
  }
  if (choice?.finish_reason === 'length') {
    return { problem: 'truncated', message: 'was cut off at the token limit', content: null }
  }
  if (choice?.finish_reason === 'content_filter') {
    return { problem: 'refusal', message: 'was stopped by the content filter', content: null }
  }
  const content = message?.content ?? null
  if (content === null || content.trim() === '') {
    return { problem: 'empty_answer', message: 'was empty', content: null }
  }
  let json: unknown
  try {
    json = JSON.parse(content)
  } catch (error) {
    return { problem: 'invalid_json', message: `was not valid JSON (${errorMessage(error)})`, content, cause: error }
  }
  const parsed = ExtractionAnswerSchema.safeParse(json)
  if (parsed.success) return parsed.data
  return {
    problem: 'schema_violation',
    message: `did not match the schema (${z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')})`,
    content,
    issues: parsed.error.issues,
    cause: parsed.error,
  }
}

const ANSWER_FIELD_NAMES: Record<string, string> = {
  sourceMessageIds: 'source_item_ids',
  replacesFactId: 'replaces_fact_id',
}

function toCandidateFacts(
  answer: ExtractionAnswer,
  citable: ReadonlySet<number>,
  existing: ReadonlySet<string>,
): { facts: CandidateFact[]; invalid?: Omit<Rejection, 'content'> } {
  const facts: CandidateFact[] = []
  let invalid: Omit<Rejection, 'content'> | undefined
  for (const [index, fact] of answer.facts.entries()) {
    const sourceMessageIds = [...new Set(fact.source_item_ids)].filter((id) => citable.has(id))
    if (sourceMessageIds.length === 0) continue
    const replacesFactId = fact.replaces_fact_id !== null && existing.has(fact.replaces_fact_id) ? fact.replaces_fact_id : null
    const parsed = CandidateFactSchema.safeParse({
      content: fact.content,
      kind: blankToNull(fact.kind?.trim().toLowerCase()),
      key: blankToNull(fact.key === null ? null : normaliseKey(fact.key)),
      sourceMessageIds,
      confidence: fact.confidence,
      replacesFactId,
    })
    if (!parsed.success) {
      if (invalid !== undefined) continue
      // Name fields as the model wrote them, so the correction it gets back makes sense to it.
      const issues = parsed.error.issues.map((issue) => ({
        ...issue,
        path: ['facts', index, ...issue.path.map((segment) => ANSWER_FIELD_NAMES[String(segment)] ?? segment)],
      }))
      const problems = issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')
      invalid = { problem: 'schema_violation', message: `did not match the schema (${problems})`, issues, cause: parsed.error }
      continue
    }
    facts.push(parsed.data)
  }
  return invalid === undefined ? { facts } : { facts, invalid }
}

function normaliseKey(key: string): string {
  return key
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}

function blankToNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value
}
