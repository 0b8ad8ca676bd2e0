// Finishes the CommonJS build that `tsc -p tsconfig.cjs.json` emitted into dist/cjs: marks the folder
// CommonJS, gives package-require.js the module's own `require` (the ESM one uses import.meta.url,
// which CommonJS lacks), and copies the ESM build's declarations, which read as CommonJS
// declarations under dist/cjs's package.json.
import { cpSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const cjs = 'dist/cjs'
writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n')
writeFileSync(
  join(cjs, 'src/package-require.js'),
  '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.packageRequire = require;\n',
)

function copyDeclarations(from, to) {
  for (const name of readdirSync(from)) {
    const source = join(from, name)
    if (statSync(source).isDirectory()) copyDeclarations(source, join(to, name))
    else if (name.endsWith('.d.ts')) cpSync(source, join(to, name))
  }
}
for (const folder of ['src', 'migrations']) copyDeclarations(join('dist', folder), join(cjs, folder))

// Last step of `npm run build`: scripts/build-if-stale.mjs compares sources against this stamp.
writeFileSync('dist/.build-stamp', `${new Date().toISOString()}\n`)
