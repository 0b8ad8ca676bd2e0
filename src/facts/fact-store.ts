import type { Kysely } from 'kysely'
import type { FactlineDb } from '../db/create-db.js'
import { dimensionMismatch, readEmbeddingDimensions } from '../db/migrate.js'
import type { Database, FactStatus } from '../db/schema.js'
import type { Embedder } from '../embed/embedder.js'
import { FactlineError } from '../errors.js'
import type { Fact, FactEventMeta, FactSourceRef } from './fact.js'
import {
  AddSourcesInputSchema,
  FactRefInputSchema,
  ListFactsInputSchema,
  NewFactInputSchema,
  parseInput,
  UpdateFactInputSchema,
} from './fact-input.js'
import { getFact, listFacts } from './fact-repository.js'
import {
  addSourcesInTx,
  factNotFound,
  forgetInTx,
  insertFactWithSources,
  retractInTx,
  supersedeInTx,
  updateFactInTx,
} from './fact-writes.js'

interface ScopeInput {
  userId: string
  /** @defaultValue 'default' */
  namespace?: string
}

interface ChangeInput extends ScopeInput {
  meta?: FactEventMeta
  /** Why the change was made; kept on the event. */
  reason?: string
}

/** A new fact and the transcript items it was drawn from. */
export interface AddFactInput extends ChangeInput {
  content: string
  kind?: string | null
  key?: string | null
  /** 0–1. @defaultValue 1 */
  confidence?: number
  /** At least one `{ sessionId, messageId }` of a session owned by `userId`. */
  sources: FactSourceRef[]
}

export interface UpdateFactInput extends ChangeInput {
  id: string
  content?: string
  kind?: string | null
  key?: string | null
  confidence?: number
}

export interface FactRefInput extends ChangeInput {
  id: string
}

export interface ListFactsInput extends ScopeInput {
  kind?: string
  /** One status or several. @defaultValue 'active' */
  status?: FactStatus | FactStatus[]
  /** Only facts created at or after this time. */
  since?: Date
  /** @defaultValue 100 (at most 1000) */
  limit?: number
}

/** Reads and writes one database's facts; every call is confined to a `(userId, namespace)`. */
export interface FactStore {
  /**
   * Stores a fact with its sources and an `added` event.
   * @throws FactlineError `invalid_argument` (no sources, blank content), `content_too_large`, `empty_id`,
   * `not_found` (a source message that is not the user's), `unknown_user`, `embedding_failed`.
   */
  add(input: AddFactInput): Promise<Fact>
  /** @throws FactlineError `not_found`, also for another user's fact. */
  get(input: ScopeInput & { id: string }): Promise<Fact>
  /** The scope's facts, newest first. */
  list(input: ListFactsInput): Promise<Fact[]>
  /**
   * Changes an active fact; a new `content` is re-embedded. Appends an `updated` event.
   * @throws FactlineError `not_found`, `invalid_argument` (not active), `content_too_large`.
   */
  update(input: UpdateFactInput): Promise<Fact>
  /** Links more transcript items to a fact. @throws FactlineError `not_found`, `unknown_user`. */
  addSources(input: FactRefInput & { sources: FactSourceRef[] }): Promise<{ fact: Fact; added: FactSourceRef[] }>
  /**
   * Replaces the active fact `id` with a new one, in one transaction.
   * @throws FactlineError `not_found`, `invalid_argument`, and as `add`.
   */
  supersede(input: FactRefInput & { fact: Omit<AddFactInput, 'userId' | 'namespace' | 'meta' | 'reason'> }): Promise<{
    previous: Fact
    current: Fact
  }>
  /** Marks a fact as no longer true; content and sources are kept. @throws FactlineError `not_found`. */
  retract(input: FactRefInput): Promise<Fact>
  /**
   * The user asked to forget this: content, key and embedding are erased (also from the fact's
   * event history) and a content-free `forgotten` tombstone event is appended.
   * @throws FactlineError `not_found`.
   */
  forget(input: FactRefInput): Promise<Fact>
}

export interface FactStoreDeps {
  db: FactlineDb
  embedder: Embedder
}

/**
 * Creates the fact store after checking that the embedder's dimension matches the database's.
 * @throws FactlineError `dimension_mismatch`, `migration_required`.
 * @example
 * ```ts
 * const facts = await createFactStore({ db: handle, embedder: new HashEmbedder() })
 * const fact = await facts.add({ userId: 'u1', content: 'Prefers TypeScript', sources: [{ sessionId, messageId }] })
 * ```
 */
export async function createFactStore({ db: handle, embedder }: FactStoreDeps): Promise<FactStore> {
  const stored = await readEmbeddingDimensions(handle)
  if (stored !== embedder.dimensions) throw dimensionMismatch(embedder.dimensions, stored)
  const db: Kysely<Database> = handle.db
  const embed = (text: string) => embedText(embedder, text)

  return {
    async add(input) {
      const { sources, meta, reason, ...v } = parseInput(NewFactInputSchema, input, 'Invalid fact')
      const embedding = await embed(v.content)
      return db.transaction().execute((trx) =>
        insertFactWithSources(trx, v, { ...v, embedding, sources }, { meta, reason }),
      )
    },

    async get(input) {
      const v = parseInput(FactRefInputSchema, input, 'Invalid fact reference')
      const fact = await getFact(db, v, v.id)
      if (!fact) throw factNotFound(v.id, v)
      return fact
    },

    async list(input) {
      const v = parseInput(ListFactsInputSchema, input, 'Invalid list options')
      return listFacts(db, v, { ...v, status: v.status as FactStatus | FactStatus[] | undefined })
    },

    async update(input) {
      const { meta, reason, ...v } = parseInput(UpdateFactInputSchema, input, 'Invalid fact update')
      const embedding = v.content === undefined ? undefined : await embed(v.content)
      return db.transaction().execute((trx) => updateFactInTx(trx, v, v.id, { ...v, embedding }, { meta, reason }))
    },

    async addSources(input) {
      const { meta, reason, sources, ...v } = parseInput(AddSourcesInputSchema, input, 'Invalid sources')
      return db.transaction().execute((trx) => addSourcesInTx(trx, v, v.id, sources, { meta, reason }))
    },

    async supersede(input) {
      const { fact, ...ref } = input
      const v = parseInput(FactRefInputSchema, ref, 'Invalid fact reference')
      const replacement = parseInput(
        NewFactInputSchema,
        { ...fact, userId: v.userId, namespace: v.namespace },
        'Invalid replacement fact',
      )
      const embedding = await embed(replacement.content)
      return db.transaction().execute((trx) =>
        supersedeInTx(trx, v, v.id, { ...replacement, embedding }, { meta: v.meta, reason: v.reason }),
      )
    },

    async retract(input) {
      const { meta, reason, ...v } = parseInput(FactRefInputSchema, input, 'Invalid fact reference')
      return db.transaction().execute((trx) => retractInTx(trx, v, v.id, { meta, reason }))
    },

    async forget(input) {
      const { meta, reason, ...v } = parseInput(FactRefInputSchema, input, 'Invalid fact reference')
      return db.transaction().execute((trx) => forgetInTx(trx, v, v.id, { meta, reason }))
    },
  }
}

/**
 * Embeds one text and checks the vector's length, so a misbehaving embedder fails loudly here
 * rather than in the database.
 * @throws FactlineError `embedding_failed`, `dimension_mismatch`.
 */
export async function embedText(embedder: Embedder, text: string, signal?: AbortSignal): Promise<number[]> {
  let vectors: number[][]
  try {
    vectors = await embedder.embed([text], signal)
  } catch (error) {
    throw new FactlineError('embedding_failed', `embedder ${embedder.id} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
  const vector = vectors[0]
  if (!vector) throw new FactlineError('embedding_failed', `embedder ${embedder.id} returned no vector`)
  if (vector.length !== embedder.dimensions) throw dimensionMismatch(vector.length, embedder.dimensions)
  return vector
}
