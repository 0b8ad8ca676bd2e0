// The layer rule of issue 9, run by `npm run lint:layers` (part of `npm test`).
// Imports point downward: a module may import its own layer and the layers below it, never above.

/**
 * Bottom → top. A folder entry ends in `/`; a file entry names one module. `src/*.ts` (errors,
 * logger and any later vocabulary file such as a scope type) is the bottom layer, apart from the
 * façade and the entry point, which are listed near the top.
 */
const LAYERS = [
  ['src/[^/]+(?<!/memory|/index)\\.ts$', 'src/openai/'],
  ['src/db/', 'migrations/'],
  ['src/session/', 'src/facts/', 'src/embed/', 'src/extractors/'],
  ['src/recall/'],
  ['src/context/', 'src/tools/'],
  ['src/extraction/'],
  ['src/queue/'],
  ['src/config/'],
  // The inspector reads through a port of the façade (InspectedMemory), so memory.inspector() can load it.
  ['src/inspect/'],
  ['src/memory.ts', 'src/index.ts'],
  ['src/cli/'],
  ['workers/'],
]

const isPattern = (entry) => entry.endsWith('$')
const escape = (path) => path.replace(/[.]/g, '\\.')
const toRegex = (entry) => (isPattern(entry) ? entry : escape(entry) + (entry.endsWith('/') ? '' : '$'))
const pattern = (entries) => `^(${entries.map(toRegex).join('|')})`

const upwardRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `no-upward-from-layer-${index}`,
  comment: `${layer.join(', ')} may only import from its own layer or the layers below it`,
  severity: 'error',
  from: { path: pattern(layer) },
  to: { path: pattern(LAYERS.slice(index + 1).flat()) },
}))

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no file-level import cycles, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upwardRules,
    {
      name: 'session-stands-alone',
      comment: 'the transcript layer works without the fact layer: createMemory hands it an after-add hook',
      severity: 'error',
      from: { path: '^src/session/' },
      to: { path: '^src/(queue|extraction|facts|recall)/' },
    },
    {
      name: 'facts-not-on-postgres-session',
      comment: 'facts may read transcript helpers, never the Session class itself',
      severity: 'error',
      from: { path: '^src/facts/' },
      to: { path: '^src/session/postgres-session\\.ts$' },
    },
    {
      name: 'no-test-code-in-product',
      comment: 'shipped code never loads tests, benchmarks, examples or the eval set',
      severity: 'error',
      from: { path: '^(src|workers|migrations)/' },
      to: { path: '^(test|bench|examples|eval)/' },
    },
    {
      name: 'examples-use-the-package',
      comment: "examples import 'factline' as a user would, so they run against the build",
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(src|workers|migrations)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve is a typo or a missing dependency',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^(src|workers|migrations|examples|test|bench|eval)/',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'node', 'default'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
}
