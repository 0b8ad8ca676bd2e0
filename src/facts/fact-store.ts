import type { FactlineDb } from '../db/create-db.js'
import { dimensionMismatch, readEmbeddingDimensions } from '../db/migrate.js'
import { userTransaction, withUserScope } from '../db/user-scope.js'
import { embedText } from '../embed/embed-texts.js'
import type { Embedder } from '../embed/embedder.js'
import type { Fact, FactSourceRef } from './fact.js'
import {
  AddSourcesInputSchema,
  FactIdInputSchema,
  FactRefInputSchema,
  ForgetInputSchema,
  ListFactsInputSchema,
  NewFactInputSchema,
  parseInput,
  SupersedeInputSchema,
  UpdateFactInputSchema,
  type AddFactInput,
  type AddSourcesInput,
  type FactIdInput,
  type FactRefInput,
  type ForgetInput,
  type ListFactsInput,
  type SupersedeInput,
  type UpdateFactInput,
} from './fact-input.js'
import { getFact, listFacts } from './fact-repository.js'
import {
  addSourcesInTx,
  factNotFound,
  insertFactWithSources,
  retractInTx,
  supersedeInTx,
  updateFactInTx,
} from './fact-writes.js'
import { forgetInTx } from './forget-fact.js'

/** Reads and writes one database's facts; every call is confined to a `(userId, namespace)`. */
export interface FactStore {
  /**
   * Stores a fact with its sources and an `added` event.
   * @throws FactlineError `invalid_argument` (no sources, blank content), `content_too_large`, `empty_id`,
   * `not_found` (a source message that is not the user's), `unknown_user`, `embedding_failed`.
   */
  add(input: AddFactInput): Promise<Fact>
  /** @throws FactlineError `not_found`, also for another user's fact. */
  get(input: FactIdInput): Promise<Fact>
  /** The scope's facts, newest first. */
  list(input: ListFactsInput): Promise<Fact[]>
  /**
   * Changes an active fact; a new `content` is re-embedded. Appends an `updated` event.
   * @throws FactlineError `not_found`, `invalid_argument` (not active), `content_too_large`.
   */
  update(input: UpdateFactInput): Promise<Fact>
  /** Links more transcript items to a fact. @throws FactlineError `not_found`, `unknown_user`. */
  addSources(input: AddSourcesInput): Promise<{ fact: Fact; added: FactSourceRef[] }>
  /**
   * Replaces the active fact `id` with a new one, in one transaction.
   * @throws FactlineError `not_found`, `invalid_argument`, and as `add`.
   */
  supersede(input: SupersedeInput): Promise<{ previous: Fact; current: Fact }>
  /** Marks a fact as no longer true; content and sources are kept. @throws FactlineError `not_found`. */
  retract(input: FactRefInput): Promise<Fact>
  /**
   * The user asked to forget this: content, key and embedding are erased (also from the fact's
   * event history) and a content-free `forgotten` tombstone event is appended. The facts it
   * replaced (its earlier versions) are forgotten with it; `chain: true` forgets the facts that
   * replaced it too, so nothing of the supersession chain stays readable.
   * @throws FactlineError `not_found`.
   */
  forget(input: ForgetInput): Promise<Fact>
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
  const embed = (text: string) => embedText(embedder, text)

  return {
    async add(input) {
      const { sources, meta, reason, ...v } = parseInput(NewFactInputSchema, input, 'Invalid fact')
      const embedding = await embed(v.content)
      return userTransaction(handle, v.userId, (trx) =>
        insertFactWithSources(trx, v, { ...v, embedding, sources }, { meta, reason }),
      )
    },

    async get(input) {
      const v = parseInput(FactIdInputSchema, input, 'Invalid fact reference')
      const fact = await withUserScope(handle, v.userId, (db) => getFact(db, v, v.id))
      if (!fact) throw factNotFound(v.id, v)
      return fact
    },

    async list(input) {
      const v = parseInput(ListFactsInputSchema, input, 'Invalid list options')
      return withUserScope(handle, v.userId, (db) => listFacts(db, v, v))
    },

    async update(input) {
      const { meta, reason, ...v } = parseInput(UpdateFactInputSchema, input, 'Invalid fact update')
      const embedding = v.content === undefined ? undefined : await embed(v.content)
      return userTransaction(handle, v.userId, (trx) => updateFactInTx(trx, v, v.id, { ...v, embedding }, { meta, reason }))
    },

    async addSources(input) {
      const { meta, reason, sources, ...v } = parseInput(AddSourcesInputSchema, input, 'Invalid sources')
      return userTransaction(handle, v.userId, (trx) => addSourcesInTx(trx, v, v.id, sources, { meta, reason }))
    },

    async supersede(input) {
      const { fact, meta, reason, ...v } = parseInput(SupersedeInputSchema, input, 'Invalid supersede')
      const embedding = await embed(fact.content)
      return userTransaction(handle, v.userId, (trx) => supersedeInTx(trx, v, v.id, { ...fact, embedding }, { meta, reason }))
    },

    async retract(input) {
      const { meta, reason, ...v } = parseInput(FactRefInputSchema, input, 'Invalid fact reference')
      return userTransaction(handle, v.userId, (trx) => retractInTx(trx, v, v.id, { meta, reason }))
    },

    async forget(input) {
      const { meta, reason, chain, ...v } = parseInput(ForgetInputSchema, input, 'Invalid fact reference')
      return userTransaction(handle, v.userId, (trx) => forgetInTx(trx, v, v.id, { meta, reason }, { chain }))
    },
  }
}
