/**
 * Stored text is data: a transcript may hold escape sequences that clear the screen, rewrite the
 * title, hide lines, or reorder what an operator reads (bidi overrides). Everything the CLI prints
 * goes through `toTerminal`; `--json` output goes through `toJsonLine`, which escapes the same
 * characters instead of dropping them, so the data stays exact.
 */

/**
 * ESC sequences: CSI (`ESC [ params final`), string commands (OSC, DCS, SOS, PM, APC) up to BEL or
 * ST (or the next ESC when unterminated), and the short nF/Fp/Fe/Fs escapes. A lone ESC goes with
 * the control characters below.
 */
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[ -/]+[0-~]|[0-~])/g

/** C0 controls except tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and isolates. */
const UNSAFE_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/** The characters `JSON.stringify` leaves raw that a terminal would still act on. */
const JSON_UNSAFE_CHARACTER = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

/** `text` with escape sequences and unsafe control characters removed; `\n` and `\t` stay. */
export function toTerminal(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(UNSAFE_CHARACTER, '')
}

/** One line of JSON with every character a terminal would act on escaped as `\uXXXX`. */
export function toJsonLine(value: unknown): string {
  const json = JSON.stringify(value).replace(JSON_UNSAFE_CHARACTER, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `${json}\n`
}
