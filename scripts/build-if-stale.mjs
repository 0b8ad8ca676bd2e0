// Runs `npm run build` only when a source is newer than the last build (dist/.build-stamp, written
// by scripts/build-cjs.mjs at the end of a build), so `npm run demo` starts at once the second time.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const STAMP = 'dist/.build-stamp'
const INPUTS = ['src', 'migrations', 'workers', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.cjs.json', 'scripts/build-cjs.mjs']

function newestMtime(path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))))
}

if (!existsSync(STAMP) || Math.max(...INPUTS.map(newestMtime)) > statSync(STAMP).mtimeMs) {
  execSync('npm run build', { stdio: 'inherit' })
}
