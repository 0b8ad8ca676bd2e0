import { z } from 'zod'
import { FactlineError, parseOrThrow } from '../errors.js'
import { assertScope, ScopeSchema, type Scope } from '../scope.js'

/** Longest fact content accepted, in characters. Facts are single statements, not documents. */
export const MAX_FACT_CONTENT_LENGTH = 2000

/**
 * A normalised slot such as `deploy_target`: lowercase snake_case, so two phrasings collide. The
 * column is plain `text`; this is the one rule for keys, shared by the fact store and extractors.
 */
export const FactKeySchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase snake_case, at most 64 characters')

/** A broad category such as `preference` or `location`. */
export const FactKindSchema = z.string().min(1).max(64)

export const FactStatusSchema = z.enum(['active', 'superseded', 'retracted', 'forgotten'])

export const SourceSchema = z.strictObject({
  sessionId: z.string().min(1).max(512),
  /** `agent_messages.id`; pg returns it as a string, so numeric strings are accepted. */
  messageId: z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,18}$/).transform(Number)]),
})

export const EventMetaSchema = z
  .strictObject({
    /** The extraction job, when a worker made the change. */
    jobId: z.string().max(512).optional(),
    /** The extractor, e.g. `rules-v1` or `openai`. */
    extractor: z.string().max(256).optional(),
    /** The model behind the extractor, e.g. `gpt-4.1-mini`. */
    model: z.string().max(256).optional(),
  })
  .optional()

const kind = FactKindSchema.nullable().optional()
const key = FactKeySchema.nullable().optional()
/** 0–1. @defaultValue 1 */
const confidence = z.number().min(0).max(1).optional()
/** Why the change was made; kept on the event. */
const reason = z.string().max(1000).optional()
/** At least one `{ sessionId, messageId }` of a session owned by `userId`. */
const sources = z.array(SourceSchema).max(1000)

const FactFieldsSchema = z.strictObject({ content: z.string(), kind, key, confidence, sources })

export const NewFactInputSchema = z.strictObject({
  ...ScopeSchema.shape,
  ...FactFieldsSchema.shape,
  meta: EventMetaSchema,
  reason,
})

export const FactIdInputSchema = z.strictObject({
  ...ScopeSchema.shape,
  id: z.string(),
})

export const FactRefInputSchema = z.strictObject({
  ...FactIdInputSchema.shape,
  meta: EventMetaSchema,
  reason,
})

export const ForgetInputSchema = z.strictObject({
  ...FactRefInputSchema.shape,
  /** Also forget the facts that replaced this one: the whole supersession chain. @defaultValue false */
  chain: z.boolean().optional(),
})

export const UpdateFactInputSchema = z.strictObject({
  ...FactRefInputSchema.shape,
  content: z.string().optional(),
  kind,
  key,
  confidence,
})

export const AddSourcesInputSchema = z.strictObject({
  ...FactRefInputSchema.shape,
  sources,
})

export const SupersedeInputSchema = z.strictObject({
  ...FactRefInputSchema.shape,
  /** The replacement, stored in the same scope. */
  fact: FactFieldsSchema,
})

export const ListFactsInputSchema = z.strictObject({
  ...ScopeSchema.shape,
  kind: z.string().optional(),
  /** One status, several, or `'all'`. @defaultValue 'active' */
  status: z
    .union([FactStatusSchema, z.literal('all'), z.array(FactStatusSchema).min(1)], {
      error: `status must be one of ${[...FactStatusSchema.options, 'all'].map((v) => `'${v}'`).join(', ')}, or an array of them`,
    })
    .transform((status) => (status === 'all' ? [...FactStatusSchema.options] : status))
    .optional(),
  /** Only facts created at or after this time. */
  since: z.date().optional(),
  /** @defaultValue 100 (at most 1000) */
  limit: z.number().int().min(1).max(1000).default(100),
})

/** A new fact and the transcript items it was drawn from. */
export type AddFactInput = z.input<typeof NewFactInputSchema>
/** One fact of a scope, by id. */
export type FactIdInput = z.input<typeof FactIdInputSchema>
/** One fact of a scope, with who changes it and why. */
export type FactRefInput = z.input<typeof FactRefInputSchema>
/** One fact to forget, and whether its whole supersession chain goes with it. */
export type ForgetInput = z.input<typeof ForgetInputSchema>
export type UpdateFactInput = z.input<typeof UpdateFactInputSchema>
export type AddSourcesInput = z.input<typeof AddSourcesInputSchema>
export type SupersedeInput = z.input<typeof SupersedeInputSchema>
export type ListFactsInput = z.input<typeof ListFactsInputSchema>

/** Parses a public input, then applies the checks zod cannot phrase as our codes (blank ids, content size). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const value = parseOrThrow(schema, input, 'invalid_argument', what) as z.output<S> &
    Scope & { content?: string; fact?: { content: string } }
  assertScope(value)
  if (value.content !== undefined) assertContent(value.content)
  if (value.fact !== undefined) assertContent(value.fact.content)
  return value
}

/** @throws FactlineError `invalid_argument` for blank content, `content_too_large` past the limit. */
export function assertContent(content: string): void {
  if (content.trim().length === 0) throw new FactlineError('invalid_argument', 'fact content must not be empty or blank')
  // PostgreSQL text cannot hold U+0000: a typed refusal instead of a driver error.
  if (content.includes('\u0000')) throw new FactlineError('invalid_argument', 'fact content must not contain U+0000')
  if (content.length > MAX_FACT_CONTENT_LENGTH) {
    throw new FactlineError(
      'content_too_large',
      `fact content is ${content.length} characters; the limit is ${MAX_FACT_CONTENT_LENGTH}. Store one short statement per fact`,
      { details: { length: content.length, limit: MAX_FACT_CONTENT_LENGTH } },
    )
  }
}
