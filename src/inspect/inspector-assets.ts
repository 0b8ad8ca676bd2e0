import { readFile } from 'node:fs/promises'

/** The page's files: plain HTML, CSS and one vanilla JS module, served as they are (no build step). */
export const ASSETS = {
  'index.html': 'text/html; charset=utf-8',
  'inspector.js': 'text/javascript; charset=utf-8',
  'inspector.css': 'text/css; charset=utf-8',
} as const
export type AssetName = keyof typeof ASSETS

// Beside this module when run from src/, and at src/inspect/ui in the package when run from dist/.
const CANDIDATE_DIRS = [new URL('./ui/', import.meta.url), new URL('../../../src/inspect/ui/', import.meta.url)]

/** Reads the page's files once; a missing file is an install problem, named with where it was looked for. */
export async function loadAssets(): Promise<Record<AssetName, string>> {
  for (const dir of CANDIDATE_DIRS) {
    try {
      const entries = await Promise.all(
        (Object.keys(ASSETS) as AssetName[]).map(async (name) => [name, await readFile(new URL(name, dir), 'utf8')] as const),
      )
      return Object.fromEntries(entries) as Record<AssetName, string>
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  throw new Error(`factline inspect: page files not found in ${CANDIDATE_DIRS.map((d) => d.pathname).join(' or ')}`)
}
