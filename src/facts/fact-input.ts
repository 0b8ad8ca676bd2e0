import { z } from 'zod'
import { FactlineError, parseOrThrow } from '../errors.js'
import { FACT_STATUSES, type FactScope } from './fact.js'

/** Longest fact content accepted, in characters. Facts are single statements, not documents. */
export const MAX_FACT_CONTENT_LENGTH = 2000

/** Namespace used when a call names none (the same default as `PostgresSession`). */
export const DEFAULT_FACT_NAMESPACE = 'default'

const id = (max: number) => z.string().max(max)

export const ScopeSchema = z.object({
  /** Owner of the facts; any non-blank string up to 512 characters. */
  userId: id(512),
  /** @defaultValue 'default' */
  namespace: id(256).default(DEFAULT_FACT_NAMESPACE),
})

export const SourceSchema = z.strictObject({
  sessionId: z.string().min(1).max(512),
  /** `agent_messages.id`; pg returns it as a string, so numeric strings are accepted. */
  messageId: z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,18}$/).transform(Number)]),
})

export const EventMetaSchema = z
  .strictObject({
    jobId: z.string().max(512).optional(),
    extractor: z.string().max(256).optional(),
    model: z.string().max(256).optional(),
  })
  .optional()

const kind = z.string().min(1).max(64).nullable().optional()
const key = z.string().min(1).max(128).nullable().optional()
const confidence = z.number().min(0).max(1).optional()
const reason = z.string().max(1000).optional()

export const NewFactInputSchema = z.strictObject({
  ...ScopeSchema.shape,
  content: z.string(),
  kind,
  key,
  confidence,
  sources: z.array(SourceSchema).max(1000),
  meta: EventMetaSchema,
  reason,
})

export const UpdateFactInputSchema = z.strictObject({
  ...ScopeSchema.shape,
  id: z.string(),
  content: z.string().optional(),
  kind,
  key,
  confidence,
  meta: EventMetaSchema,
  reason,
})

export const FactRefInputSchema = z.strictObject({
  ...ScopeSchema.shape,
  id: z.string(),
  meta: EventMetaSchema,
  reason,
})

export const AddSourcesInputSchema = z.strictObject({
  ...FactRefInputSchema.shape,
  sources: z.array(SourceSchema).max(1000),
})

export const ListFactsInputSchema = z.strictObject({
  ...ScopeSchema.shape,
  kind: z.string().optional(),
  status: z.union([z.enum(FACT_STATUSES as [string, ...string[]]), z.array(z.enum(FACT_STATUSES as [string, ...string[]])).min(1)]).optional(),
  since: z.date().optional(),
  /** @defaultValue 100 */
  limit: z.number().int().min(1).max(1000).default(100),
})

/** Parses a public input, then applies the checks zod cannot phrase as our codes (blank ids, content size). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const value = parseOrThrow(schema, input, 'invalid_argument', what) as z.output<S> & FactScope & { content?: string }
  assertScope(value)
  if (value.content !== undefined) assertContent(value.content)
  return value
}

/** @throws FactlineError `empty_id` when the user id or namespace is blank. */
export function assertScope(scope: FactScope): void {
  if (scope.userId.trim().length === 0) throw new FactlineError('empty_id', 'userId must not be empty or blank')
  if (scope.namespace.trim().length === 0) throw new FactlineError('empty_id', 'namespace must not be empty or blank')
}

/** @throws FactlineError `invalid_argument` for blank content, `content_too_large` past the limit. */
export function assertContent(content: string): void {
  if (content.trim().length === 0) throw new FactlineError('invalid_argument', 'fact content must not be empty or blank')
  if (content.length > MAX_FACT_CONTENT_LENGTH) {
    throw new FactlineError(
      'content_too_large',
      `fact content is ${content.length} characters; the limit is ${MAX_FACT_CONTENT_LENGTH}. Store one short statement per fact`,
      { details: { length: content.length, limit: MAX_FACT_CONTENT_LENGTH } },
    )
  }
}
