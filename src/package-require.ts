import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * `require` resolving from factline's own folder, to locate files of its dependencies (e.g. the
 * WordNet dictionary). The CommonJS build replaces this module with the module's own `require`
 * (scripts/build-cjs.mjs), because `import.meta` does not exist there.
 */
export const packageRequire: NodeJS.Require = createRequire(import.meta.url)

/**
 * Loads a dependency on first use, synchronously, as the very module instance `import` gives (Node
 * ≥ 22.12 can `require` an ES module, and shares its module cache with `import`): what the app
 * imported itself is returned at once, and classes and the SDK's trace state are the app's own. The
 * CommonJS build replaces it with a plain `require`, which gives a CommonJS app its own copy in turn.
 */
export function requireAsImported(specifier: string): unknown {
  return packageRequire(fileURLToPath(import.meta.resolve(specifier)))
}
