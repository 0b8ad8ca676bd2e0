import { describe, expect, it } from 'vitest'
import { HashEmbedder } from '../../../src/embed/hash-embedder.js'
import {
  cosineSimilarity,
  countDecisions,
  normalizeFactText,
  reconcileFacts,
  type ReconcileCandidate,
  type ReconcileDecision,
  type ReconcileFact,
} from '../../../src/facts/reconcile.js'

/** Unit vectors at a chosen angle from [1, 0], so a test states the similarity it means. */
const at = (similarity: number): number[] => [similarity, Math.sqrt(1 - similarity * similarity)]

const fact = (id: string, content: string, extra: Partial<ReconcileFact> = {}): ReconcileFact => ({
  id,
  content,
  kind: null,
  key: null,
  confidence: 1,
  embedding: [1, 0],
  ...extra,
})

const candidate = (content: string, extra: Partial<ReconcileCandidate> = {}): ReconcileCandidate => ({
  content,
  kind: null,
  key: null,
  confidence: 1,
  replacesFactId: null,
  embedding: [1, 0],
  ...extra,
})

/**
 * Applies decisions the way the processor does, to check what a sequence of batches leaves
 * behind: active facts and their sources.
 */
function simulate(batches: Array<Array<ReconcileCandidate & { source: string }>>) {
  const facts = new Map<string, ReconcileFact & { active: boolean; sources: string[] }>()
  let next = 0
  for (const batch of batches) {
    const active = [...facts.values()].filter((f) => f.active)
    const decisions = reconcileFacts(active, batch)
    const ids = new Map<string, string>()
    const resolve = (ref: string) => ids.get(ref) ?? ref
    for (const d of decisions) {
      const c = batch[d.candidate] as ReconcileCandidate & { source: string }
      const insert = (ref: string) => {
        const id = `f${next++}`
        ids.set(ref, id)
        facts.set(id, { ...c, id, active: true, sources: [c.source] })
      }
      if (d.action === 'add') insert(d.ref)
      if (d.action === 'supersede') {
        facts.get(resolve(d.target))!.active = false
        insert(d.ref)
      }
      if (d.action === 'noop' || d.action === 'update') {
        const f = facts.get(resolve(d.target))!
        f.sources.push(c.source)
        if (d.action === 'update' && d.content !== null) f.content = d.content
      }
    }
  }
  return [...facts.values()]
}

describe('reconcileFacts', () => {
  it('adds a candidate that matches nothing', () => {
    expect(reconcileFacts([], [candidate('Prefers TypeScript')])).toEqual([
      { action: 'add', candidate: 0, ref: 'new:0', reason: 'new' },
    ])
  })

  it('turns five sessions saying the same thing into one fact with five sources', () => {
    const say = (source: string) => candidate('Prefers TypeScript over Python', { key: 'preference_python_vs_typescript', source } as never)
    const facts = simulate([1, 2, 3, 4, 5].map((n) => [say(`s${n}:1`) as ReconcileCandidate & { source: string }]))
    expect(facts).toHaveLength(1)
    expect(facts[0]).toMatchObject({ active: true, sources: ['s1:1', 's2:1', 's3:1', 's4:1', 's5:1'] })
  })

  it('treats a repeat within one batch as provenance for the fact added moments before', () => {
    const decisions = reconcileFacts([], [candidate('Lives in Berlin'), candidate('lives in berlin.')])
    expect(decisions.map((d) => d.action)).toEqual(['add', 'noop'])
    expect(decisions[1]).toMatchObject({ target: 'new:0', reason: 'same_text' })
  })

  it('is a noop for equal normalised text even without embeddings', () => {
    const decisions = reconcileFacts([fact('a', 'Works at ACME!', { embedding: null })], [candidate('works at acme')])
    expect(decisions[0]).toMatchObject({ action: 'noop', target: 'a', reason: 'same_text' })
  })

  it('supersedes a fact with the same key and a different value', () => {
    const decisions = reconcileFacts(
      [fact('a', 'Lives in Berlin', { key: 'home_location' })],
      [candidate('Lives in Oslo', { key: 'home_location', embedding: at(0.6) })],
    )
    expect(decisions).toEqual([
      { action: 'supersede', candidate: 0, target: 'a', ref: 'new:0', reason: 'same_key_new_value' },
    ])
  })

  it('supersedes an earlier candidate of the same batch: X, then "actually Y"', () => {
    const decisions = reconcileFacts(
      [],
      [
        candidate('Deploys to Hetzner', { key: 'deploy_target' }),
        candidate('Deploys to AWS', { key: 'deploy_target', embedding: at(0.5) }),
        candidate('Deploys to Fly.io', { key: 'deploy_target', embedding: at(0.1) }),
      ],
    )
    expect(decisions.map((d) => [d.action, 'target' in d ? d.target : null])).toEqual([
      ['add', null],
      ['supersede', 'new:0'],
      ['supersede', 'new:1'],
    ])
  })

  it('treats a near-identical rewording under the same key as an update, not a new value', () => {
    const decisions = reconcileFacts(
      [fact('a', 'Deploy target is Hetzner', { key: 'deploy_target', confidence: 0.7 })],
      [candidate('Deploy target is Hetzner eu-central', { key: 'deploy_target', embedding: at(0.95), confidence: 0.9 })],
    )
    expect(decisions[0]).toMatchObject({
      action: 'update',
      target: 'a',
      content: 'Deploy target is Hetzner eu-central',
      confidence: 0.9,
      reason: 'same_key_restated',
    })
  })

  it('keeps the wording when the restatement is less sure than the fact', () => {
    const [d] = reconcileFacts([fact('a', 'Likes hiking', { confidence: 1 })], [candidate('Enjoys hiking', { embedding: at(0.9), confidence: 0.6 })])
    expect(d).toMatchObject({ action: 'update', content: null, confidence: 1 })
  })

  it('follows replacesFactId to an active fact in scope', () => {
    const decisions = reconcileFacts(
      [fact('a', 'Lives in Berlin'), fact('b', 'Likes tea', { embedding: [0, 1] })],
      [candidate('Lives in Oslo', { replacesFactId: 'a', embedding: at(0.2) })],
    )
    expect(decisions[0]).toMatchObject({ action: 'supersede', target: 'a', reason: 'replaces_fact_id' })
  })

  it('ignores a replacesFactId that is not an active fact of this scope', () => {
    const decisions = reconcileFacts(
      [fact('a', 'Likes tea')],
      [candidate('Lives in Oslo', { replacesFactId: 'someone-elses-fact', embedding: at(0) })],
    )
    expect(decisions[0]).toMatchObject({ action: 'add' })
  })

  it('cannot supersede the same fact twice in one batch', () => {
    const decisions = reconcileFacts(
      [fact('a', 'Lives in Berlin')],
      [
        candidate('Lives in Oslo', { replacesFactId: 'a', embedding: at(0.2) }),
        candidate('Lives in Rome', { replacesFactId: 'a', embedding: [-1, 0] }),
      ],
    )
    expect(decisions.map((d) => d.action)).toEqual(['supersede', 'add'])
  })

  it('is a noop above duplicateSimilarity, an update above updateSimilarity, else an add', () => {
    const existing = [fact('a', 'Prefers dark mode')]
    const action = (sim: number) => reconcileFacts(existing, [candidate('Likes dark themes', { embedding: at(sim) })])[0]!.action
    expect(action(0.97)).toBe('noop')
    expect(action(0.9)).toBe('update')
    expect(action(0.5)).toBe('add')
  })

  it('honours configured thresholds', () => {
    const existing = [fact('a', 'Prefers dark mode')]
    const [d] = reconcileFacts(existing, [candidate('Likes dark themes', { embedding: at(0.9) })], {
      duplicateSimilarity: 0.99,
      updateSimilarity: 0.95,
    })
    expect(d!.action).toBe('add')
    expect(() => reconcileFacts([], [], { updateSimilarity: 0.99, duplicateSimilarity: 0.9 })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    )
  })

  it('never merges facts whose keys name different slots', () => {
    const decisions = reconcileFacts(
      [fact('a', 'Deadline is Friday', { key: 'deadline_report' })],
      [candidate('Deadline is Friday', { key: 'deadline_launch' })],
    )
    expect(decisions[0]).toMatchObject({ action: 'add' })
  })

  it('lets an unkeyed fact take the key of a restatement', () => {
    const [d] = reconcileFacts([fact('a', 'Works at ACME')], [candidate('Employed at ACME', { key: 'employer', kind: 'job', embedding: at(0.9) })])
    expect(d).toMatchObject({ action: 'update', key: 'employer', kind: 'job' })
  })

  it('picks the most similar fact when several are compatible', () => {
    const [d] = reconcileFacts(
      [fact('far', 'Likes cats', { embedding: at(0.1) }), fact('near', 'Likes dogs a lot', { embedding: at(0.99) })],
      [candidate('Likes dogs')],
    )
    expect(d).toMatchObject({ action: 'noop', target: 'near', reason: 'similar_duplicate' })
  })

  it('works with real hashing embeddings: a repeat is a noop, a new topic an add', async () => {
    const embedder = new HashEmbedder({ dimensions: 384 })
    const texts = ['Prefers TypeScript over Python', 'Prefers TypeScript over Python.', 'Has a dog named Rex']
    const [a, b, c] = await embedder.embed(texts)
    const decisions = reconcileFacts(
      [fact('a', texts[0]!, { embedding: a! })],
      [candidate(texts[1]!, { embedding: b! }), candidate(texts[2]!, { embedding: c! })],
    )
    expect(decisions.map((d: ReconcileDecision) => d.action)).toEqual(['noop', 'add'])
  })

  it('counts decisions by action', () => {
    const decisions = reconcileFacts([fact('a', 'X', { key: 'k' })], [candidate('Y', { key: 'k', embedding: at(0) }), candidate('Z', { embedding: at(0) }), candidate('Z')])
    expect(countDecisions(decisions)).toEqual({ add: 1, update: 0, supersede: 1, noop: 1 })
  })
})

describe('normalizeFactText and cosineSimilarity', () => {
  it('ignores case, punctuation and spacing', () => {
    expect(normalizeFactText('  Prefers   TypeScript. ')).toBe(normalizeFactText('prefers typescript'))
    expect(normalizeFactText('Lives in Zürich')).toBe('lives in zürich')
  })

  it('is 1 for parallel vectors and 0 for degenerate ones', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1)
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0)
    expect(cosineSimilarity([1], [1, 0])).toBe(0)
  })
})
