/**
 * Where JSON.parse gave up, as a character offset and a 1-based line and column.
 *
 * Node 20's V8 reports a position for some syntax errors and only a snippet for others, so this
 * walks the text with a small strict JSON scanner and stops at the first character it rejects.
 * Returns undefined when the text is valid JSON.
 */
export function locateJsonError(text: string): { offset: number; line: number; column: number } | undefined {
  let i = 0
  const fail = (): never => {
    throw new JsonSyntaxStop(i)
  }
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++
  }
  const expect = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail()
      i++
    }
  }
  const string = () => {
    i++
    for (;;) {
      const ch = text[i]
      if (ch === undefined || ch < ' ') fail()
      i++
      if (ch === '"') return
      if (ch === '\\') {
        const esc = text[i]
        if (esc === 'u') {
          i++
          for (let k = 0; k < 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail()
            i++
          }
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++
        else fail()
      }
    }
  }
  const number = () => {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
    m.lastIndex = i
    if (!m.exec(text)) fail()
    i = m.lastIndex
  }
  const list = (close: string, item: () => void) => {
    i++
    ws()
    if (text[i] === close) return void i++
    for (;;) {
      item()
      ws()
      if (text[i] === close) return void i++
      if (text[i] !== ',') fail()
      i++
      ws()
    }
  }
  const value = (): void => {
    ws()
    const ch = text[i]
    if (ch === '{') {
      list('}', () => {
        if (text[i] !== '"') fail()
        string()
        ws()
        if (text[i] !== ':') fail()
        i++
        value()
      })
    } else if (ch === '[') list(']', value)
    else if (ch === '"') string()
    else if (ch === 't') expect('true')
    else if (ch === 'f') expect('false')
    else if (ch === 'n') expect('null')
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) number()
    else fail()
  }

  try {
    value()
    ws()
    if (i < text.length) fail()
    return undefined
  } catch (error) {
    if (!(error instanceof JsonSyntaxStop)) throw error
    const lines = text.slice(0, error.offset).split('\n')
    return { offset: error.offset, line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 }
  }
}

class JsonSyntaxStop {
  constructor(readonly offset: number) {}
}
