import { expect, it } from 'vitest'
import { explainFact } from '../../../src/facts/explain.js'
import { recallFacts } from '../../../src/recall/recall.js'
import { useFactStore } from '../../helpers/suite-fixtures.js'
import { at, embedder, seedSession } from './fixtures.js'
import { describeWith } from '../../helpers/services.js'

/** Ids built to break naive SQL: quotes, LIKE wildcards, backslashes, unicode, prefixes of each other, very long. */
function adversarialIds(seed: string): string[] {
  return [
    `${seed}'`,
    `${seed}''`,
    `${seed}%`,
    `${seed}_`,
    `${seed}\\`,
    `${seed}\\'; drop table facts; --`,
    `${seed}`,
    `${seed} `,
    `${seed}ä`,
    `${seed}a\u0308`,
    `${seed}🙂`,
    `${seed}"x"`,
    `${seed}${'é'.repeat(250)}`.slice(0, 500),
    `${seed}${'%_'.repeat(250)}`.slice(0, 500),
  ]
}

function shuffle<T>(values: T[], random: () => number): T[] {
  const copy = [...values]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy
}

/** mulberry32: a seeded generator so a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describeWith('postgres')('isolation between users and namespaces', () => {
  const ctx = useFactStore('postgres')

  it("never returns another user's or another namespace's facts from list, recall, get or explain", async () => {
    const seed = Math.floor(Math.random() * 2 ** 31)
    const random = seeded(seed)
    const run = `iso-${seed}`
    const users = adversarialIds(run)
    const namespaces = ['default', '%', '_', "'", 'default ', 'Default', '\\', 'ns\u0000'.replace('\u0000', '0')]
    const owner = new Map<string, { userId: string; namespace: string }>()
    const scopes = users.flatMap((userId) => shuffle(namespaces, random).slice(0, 3).map((namespace) => ({ userId, namespace })))

    for (const scope of scopes) {
      const texts = Array.from({ length: 3 }, (_, i) => `Shared words about coffee and deploys ${i} for ${scope.userId.slice(-6)}`)
      const { sources } = await seedSession(ctx.handle, scope.userId, texts, scope.namespace)
      for (const [i, content] of texts.entries()) {
        const fact = await ctx.store.add({ ...scope, content, sources: [at(sources, i)] })
        owner.set(fact.id, scope)
      }
    }

    const check = (ids: string[], scope: { userId: string; namespace: string }) => {
      for (const id of ids) expect(owner.get(id), `seed ${seed}: ${id} leaked into ${JSON.stringify(scope)}`).toEqual(scope)
    }
    for (const scope of scopes) {
      const listed = await ctx.store.list({ ...scope, limit: 1000 })
      expect(listed, `seed ${seed}`).toHaveLength(3)
      check(listed.map((f) => f.id), scope)
      const recalled = await recallFacts(ctx.handle, embedder, { ...scope, query: 'coffee deploys shared words', k: 100 })
      expect(recalled, `seed ${seed}`).toHaveLength(3)
      check(recalled.map((f) => f.id), scope)
    }
    const ids = [...owner.keys()]
    for (let n = 0; n < 60; n++) {
      const id = at(ids, Math.floor(random() * ids.length))
      const scope = at(scopes, Math.floor(random() * scopes.length))
      const mine = owner.get(id)?.userId === scope.userId && owner.get(id)?.namespace === scope.namespace
      if (mine) {
        expect((await explainFact(ctx.handle, id, scope)).fact.id).toBe(id)
      } else {
        await expect(explainFact(ctx.handle, id, scope), `seed ${seed}`).rejects.toMatchObject({ code: 'not_found' })
        await expect(ctx.store.get({ ...scope, id }), `seed ${seed}`).rejects.toMatchObject({ code: 'not_found' })
      }
    }
  })
})
