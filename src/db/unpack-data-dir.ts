import { mkdir, open } from 'node:fs/promises'
import { dirname, join, normalize, sep } from 'node:path'
import { gunzipSync } from 'node:zlib'

const BLOCK = 512
const PAGE = 8192
const ZERO_PAGE = Buffer.alloc(PAGE)

/**
 * Unpacks a data-folder template (a gzipped tar from PGlite's `dumpDataDir`) into `dataDir` with
 * Node's own zlib and file system: several times faster than handing it to PGlite as `loadDataDir`,
 * which untars in JavaScript and writes every file through its WebAssembly file system. The files
 * are written asynchronously, so that module loading (e.g. the Agents SDK, see `createMemory`)
 * goes on meanwhile: creating its files is most of the cost on a slow disk (about a millisecond
 * each on the bench machine), so:
 * - the free-space-map and visibility-map forks (`<relfilenode>_fsm`, `_vm`, a quarter of the
 *   files) are left out: PostgreSQL treats a missing one as empty and makes it when it first needs
 *   it (an insert into an all-visible page, the next VACUUM), so nothing is lost but a hint;
 * - files are written in a few lanes, each taking whole folders, so creations in one folder do not
 *   queue behind one another's directory lock.
 * Pages of zeros are left as holes (most of the 16 MB WAL segment). `PG_VERSION` is written last: a folder whose
 * unpacking was cut short still counts as new and is unpacked again. Files are 0600 and folders
 * 0700, like a folder PostgreSQL makes itself.
 * @internal
 */
export async function unpackDataDir(dataDir: string, tarGz: Uint8Array): Promise<void> {
  const entries = readTar(gunzipSync(tarGz))
  const files = entries.filter((e) => e.type === 'file' && !ON_DEMAND_FORK.test(e.name))
  const folders = new Set([...entries.filter((e) => e.type === 'dir').map((e) => e.name), ...files.map((e) => dirname(e.name))])
  for (const folder of folders) await mkdir(join(dataDir, folder), { recursive: true, mode: 0o700 })
  const lanes = folderLanes(files.filter((e) => e.name !== 'PG_VERSION'))
  await Promise.all(
    lanes.map(async (lane) => {
      for (const file of lane) await writeSparse(join(dataDir, file.name), file.data)
    }),
  )
  for (const file of files.filter((e) => e.name === 'PG_VERSION')) await writeSparse(join(dataDir, file.name), file.data)
}

/** A relation's free-space-map or visibility-map fork, e.g. `base/5/1259_fsm`. */
const ON_DEMAND_FORK = /(^|\/)\d+_(fsm|vm)$/

// Few: the thread pool stays free for module loading, and a 2-core machine gains nothing from more.
const LANES = 3

/** The files grouped by folder, the folders dealt largest first to the emptiest of `LANES` lanes. */
function folderLanes(files: TarEntry[]): TarEntry[][] {
  const byFolder = new Map<string, TarEntry[]>()
  for (const file of files) {
    const folder = dirname(file.name)
    const group = byFolder.get(folder)
    if (group) group.push(file)
    else byFolder.set(folder, [file])
  }
  const lanes: TarEntry[][] = Array.from({ length: LANES }, () => [])
  for (const group of [...byFolder.values()].sort((a, b) => b.length - a.length)) {
    const emptiest = lanes.reduce((least, lane) => (lane.length < least.length ? lane : least))
    emptiest.push(...group)
  }
  return lanes.filter((lane) => lane.length > 0)
}

interface TarEntry {
  name: string
  type: 'file' | 'dir'
  data: Buffer
}

/** The files and folders of a ustar archive (all PGlite writes), names relative and checked. */
function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = []
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const header = tar.subarray(offset, offset + BLOCK)
    if (header.every((byte) => byte === 0)) break // the end-of-archive blocks
    const field = (start: number, length: number) => header.toString('utf8', start, start + length).replace(/\0.*$/s, '')
    const prefix = field(345, 155)
    const name = safeName((prefix ? `${prefix}/` : '') + field(0, 100))
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const typeFlag = field(156, 1)
    const dataStart = offset + BLOCK
    if (typeFlag === '5') entries.push({ name, type: 'dir', data: Buffer.alloc(0) })
    else if (typeFlag === '0' || typeFlag === '') entries.push({ name, type: 'file', data: tar.subarray(dataStart, dataStart + size) })
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK
  }
  return entries
}

/** A member name as a path inside the folder: leading slashes dropped, `..` refused. */
function safeName(raw: string): string {
  const name = normalize(raw.replace(/^\/+/, ''))
  if (name === '..' || name.startsWith(`..${sep}`) || name.startsWith(sep)) throw new Error(`unsafe path in data-folder template: ${raw}`)
  return name === '.' ? '' : name
}

/** Writes the non-zero pages of `data`, then sets the full length: zero pages read back as zeros. */
async function writeSparse(path: string, data: Buffer): Promise<void> {
  const file = await open(path, 'w', 0o600)
  try {
    for (let start = 0; start < data.length; ) {
      let end = start
      while (end < data.length && !isZeroPage(data, end)) end += PAGE
      if (end > start) await file.write(data, start, Math.min(end, data.length) - start, start)
      start = end
      while (start < data.length && isZeroPage(data, start)) start += PAGE
    }
    await file.truncate(data.length)
  } finally {
    await file.close()
  }
}

function isZeroPage(data: Buffer, start: number): boolean {
  const page = data.subarray(start, start + PAGE)
  return page.equals(page.length === PAGE ? ZERO_PAGE : ZERO_PAGE.subarray(0, page.length))
}
