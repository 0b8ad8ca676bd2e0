import { createRequire } from 'node:module'

/**
 * `require` resolving from factline's own folder, to locate files of its dependencies (e.g. the
 * WordNet dictionary). The CommonJS build replaces this module with the module's own `require`
 * (scripts/build-cjs.mjs), because `import.meta` does not exist there.
 */
export const packageRequire: NodeJS.Require = createRequire(import.meta.url)
