/** A ```ts block of README.md and what its `<!-- snippet: … -->` marker says about running it. */
export interface Snippet {
  /** 1-based line of the opening fence. */
  line: number
  code: string
  /** `model`: the snippet's agent calls a model, so it runs against a local OpenAI-compatible server. */
  model: boolean
  /** Names the harness defines before the snippet (`given agent, memory`). */
  given: string[]
  /** Services the snippet needs (`needs postgres`); it is skipped without them. */
  needs: string[]
  /** Why the snippet is not run (`not run: …`); only for what no test machine can host. */
  notRun?: string
}

/** The README's ```ts blocks with their markers (the HTML comment on the line before the fence). */
export function parseSnippets(readme: string): Snippet[] {
  const lines = readme.split('\n')
  const snippets: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue
    const end = lines.indexOf('```', i + 1)
    const marker = /^<!-- snippet: (.*) -->$/.exec(lines[i - 1] ?? '')?.[1] ?? ''
    const directives = marker.split(';').map((d) => d.trim()).filter(Boolean)
    const list = (word: string) =>
      directives.filter((d) => d.startsWith(`${word} `)).flatMap((d) => d.slice(word.length + 1).split(',').map((n) => n.trim()))
    const notRun = directives.find((d) => d.startsWith('not run:'))
    snippets.push({
      line: i + 1,
      code: lines.slice(i + 1, end).join('\n'),
      model: directives.includes('model'),
      given: list('given'),
      needs: list('needs'),
      ...(notRun ? { notRun: notRun.slice('not run:'.length).trim() } : {}),
    })
    i = end
  }
  return snippets
}

// What `given NAME` defines, in dependency order. Given memory is embedded in RAM and offline.
const GIVEN: ReadonlyArray<[name: string, imports: string[], code: string]> = [
  ['agent', ["import { Agent } from '@openai/agents'"], "const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.' })"],
  ['run', ["import { run } from '@openai/agents'"], ''],
  ['Agent', ["import { Agent } from '@openai/agents'"], ''],
  ['memory', ["import { createMemory } from 'factline'"], "const memory = await createMemory({ database: { dataDir: 'memory://' }, env: false })"],
  ['session', [], "const session = memory.session('chat-42', { userId: 'user-7' })"],
  ['input', [], "const input = 'Hi again!'"],
  ['items', [], "const items = [{ role: 'user' as const, content: 'We deploy to Hetzner.' }]"],
  [
    'factId',
    [],
    "await memory.session('monday', { userId: 'user-7' }).addItems([{ role: 'user', content: 'We deploy to Hetzner.' }])\n" +
      "await memory.flush()\n" +
      "const factId = (await memory.facts.list({ userId: 'user-7' }))[0]!.id",
  ],
]

/**
 * The program that runs a snippet: the snippet's imports merged with the harness's, the given
 * names, the snippet, then `memory.close()` when the snippet uses a memory it does not close.
 */
export function snippetProgram(snippet: Snippet): string {
  const imports = new Map<string, Set<string>>()
  const addImport = (line: string) => {
    const m = /^import \{ (.*) \} from '(.*)'$/.exec(line)
    if (!m) return false
    const names = imports.get(m[2]!) ?? new Set<string>()
    for (const name of m[1]!.split(',')) names.add(name.trim())
    imports.set(m[2]!, names)
    return true
  }
  const given = new Set(snippet.given)
  if (given.has('session') || given.has('factId')) given.add('memory')
  const setup: string[] = []
  const defaultImports: string[] = []
  for (const [name, lines, code] of GIVEN) {
    if (!given.has(name)) continue
    for (const line of lines) addImport(line)
    if (code) setup.push(code)
  }
  const body: string[] = []
  for (const line of snippet.code.split('\n')) {
    if (line.startsWith('import ') && !addImport(line)) defaultImports.push(line)
    else if (!line.startsWith('import ')) body.push(line)
  }
  const usesMemory = /\bmemory\./.test(snippet.code) || given.has('memory')
  const closes = /\bmemory\.close\(\)/.test(snippet.code)
  return [
    ...defaultImports,
    ...[...imports].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}'`),
    ...setup,
    ...body,
    ...(usesMemory && !closes ? ['await memory.close()'] : []),
    '',
  ].join('\n')
}
