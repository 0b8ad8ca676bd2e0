import type { Session } from '@openai/agents'
import { readFileSync } from 'node:fs'
import { describe, expect, expectTypeOf, it } from 'vitest'
// The package's own name resolves through package.json `exports` to the build, as in a user's app.
import * as factline from 'factline'
import type {
  Embedder,
  ExtractionWorker,
  Extractor,
  FactlineErrorCode,
  FactlineOptions,
  FactStore,
  Memory,
  RecalledFact,
  SweepResult,
} from 'factline'
import * as source from '../../../src/index.js'

/**
 * Every runtime export of `factline`, sorted. A change here is a change of the public API: add a
 * name only with docs and tests, and remove one only with a note in the changelog.
 */
const RUNTIME_EXPORTS = [
  'DEFAULT_DATA_DIR',
  'DEFAULT_EMBEDDING_DIMENSIONS',
  'DEFAULT_HASH_DIMENSIONS',
  'DEFAULT_MAX_ITEM_BYTES',
  'DEFAULT_NAMESPACE',
  'FactlineError',
  'HashEmbedder',
  'NlpExtractor',
  'OpenAIEmbedder',
  'OpenAIExtractor',
  'PostgresSession',
  'assertMigrated',
  'buildContextBlock',
  'createDb',
  'createJsonLogger',
  'createMemory',
  'distributeTables',
  'estimateTokens',
  'estimateTokensByLength',
  'historyWindow',
  'isFactlineError',
  'migrate',
  'pinoLogger',
  'quietLogger',
  'sanitizeForBlock',
  'trimHistory',
]

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  name: string
  exports: Record<string, unknown>
  main: string
  types: string
  sideEffects: boolean
}

describe('the public surface of factline', () => {
  it('resolves the package name to the build', () => {
    expect(import.meta.resolve('factline')).toMatch(/\/dist\/src\/index\.js$/)
  })

  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(factline).sort()).toEqual(RUNTIME_EXPORTS)
  })

  it('is built from the current source (npm test builds before it runs)', () => {
    expect(Object.keys(source).sort()).toEqual(RUNTIME_EXPORTS)
  })

  it('offers the entry point and package.json as the only subpaths', () => {
    expect(pkg.name).toBe('factline')
    expect(pkg.exports).toEqual({
      '.': {
        import: { types: './dist/src/index.d.ts', default: './dist/src/index.js' },
        require: { types: './dist/cjs/src/index.d.ts', default: './dist/cjs/src/index.js' },
      },
      './package.json': './package.json',
    })
    expect([pkg.main, pkg.types]).toEqual(['./dist/cjs/src/index.js', './dist/src/index.d.ts'])
    expect(pkg.sideEffects).toBe(false)
  })

  it('types the entry points as documented', () => {
    expectTypeOf(factline.createMemory).parameter(0).toEqualTypeOf<FactlineOptions | undefined>()
    expectTypeOf(factline.createMemory).returns.resolves.toEqualTypeOf<Memory>()
    expectTypeOf<Memory['facts']>().toEqualTypeOf<FactStore>()
    expectTypeOf<Memory['recall']>().returns.resolves.toEqualTypeOf<RecalledFact[]>()
    expectTypeOf<Memory['sweep']>().returns.resolves.toEqualTypeOf<SweepResult>()
    expectTypeOf<Memory['worker']>().returns.resolves.toEqualTypeOf<ExtractionWorker>()
    expectTypeOf<factline.PostgresSession>().toExtend<Session>()
    expectTypeOf<factline.HashEmbedder>().toExtend<Embedder>()
    expectTypeOf<factline.OpenAIEmbedder>().toExtend<Embedder>()
    expectTypeOf<factline.OpenAIExtractor>().toExtend<Extractor>()
    expectTypeOf<factline.FactlineError['code']>().toEqualTypeOf<FactlineErrorCode>()
  })

  it('keeps BullMQ types behind the worker accessors', () => {
    expectTypeOf<ExtractionWorker>().toHaveProperty('counts')
    expectTypeOf<ExtractionWorker>().toHaveProperty('sweep')
    expectTypeOf<ExtractionWorker>().toHaveProperty('close')
    expectTypeOf(factline).not.toHaveProperty('createExtractionQueue')
    expectTypeOf(factline).not.toHaveProperty('createExtractionWorker')
  })
})
