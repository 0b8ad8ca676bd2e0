import { toTerminal } from './terminal-text.js'

/** Renders rows as an aligned text table, for humans; `--json` output bypasses this. */
export function formatTable(headers: readonly string[], stored: ReadonlyArray<ReadonlyArray<string>>): string {
  if (stored.length === 0) return '(none)\n'
  // Cleaned before measuring, so a stripped escape sequence cannot skew the columns.
  const rows = stored.map((r) => r.map((cell) => toTerminal(cell)))
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n'
}

/** Cuts text to one line of at most `max` characters. */
export function clip(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
