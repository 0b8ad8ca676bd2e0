import { describe, expect, it } from 'vitest'
import { formatTable } from '../../../src/cli/table.js'
import { toJsonLine, toTerminal } from '../../../src/cli/terminal-text.js'

const HOSTILE = [
  'clear\u001b[2J',
  'title\u001b]0;pwned\u0007',
  'colour\u001b[31mred\u001b[0m',
  'next-line\u0085',
  'c1-csi\u009b2J',
  'override\u202etxt.exe',
  'isolate\u2066x\u2069',
  'nul\u0000bell\u0007bs\u0008cr\r',
  'del\u007f',
  'string\u001bPq#0;2;0;0;0\u001b\\',
]

/** Anything a terminal would act on: ESC, C0 but tab and newline, DEL, C1, bidi controls. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

describe('toTerminal', () => {
  it.each(HOSTILE)('leaves nothing a terminal acts on in %j', (text) => {
    expect(toTerminal(text)).not.toMatch(UNSAFE)
  })

  it('keeps the readable text, tabs and newlines', () => {
    expect(toTerminal('clear\u001b[2J me\tplease\nnow \u001b[31mred\u001b[0m\u202e!')).toBe('clear me\tplease\nnow red!')
    expect(toTerminal('Ünïcödé ✓ 日本 🙂')).toBe('Ünïcödé ✓ 日本 🙂')
  })

  it('cleans table cells before measuring them, so columns stay aligned', () => {
    const table = formatTable(['A', 'B'], [['\u001b[2J\u001b[2Jx', 'y'], ['xx', 'z']])
    expect(table).toBe('A   B\n--  -\nx   y\nxx  z\n')
  })
})

describe('toJsonLine', () => {
  it('escapes instead of dropping, so the data parses back exactly', () => {
    const value = { texts: HOSTILE }
    const line = toJsonLine(value)
    expect(line).not.toMatch(UNSAFE)
    expect(line.endsWith('\n')).toBe(true)
    expect(JSON.parse(line)).toEqual(value)
  })
})
