/**
 * Checks that a fact the model proposes is grounded in the items it cites: its content words
 * (names, places, products, numbers) must mostly appear in the cited text. A model reads tool
 * output and assistant text too, and may attribute what it read there to a user item; the
 * citation alone proves nothing.
 * @internal
 */

/**
 * Share of a fact's content words that must appear in the text of the items it cites.
 * @defaultValue 0.5
 */
export const DEFAULT_MIN_GROUNDING = 0.5

// Function words and the verbs facts are phrased with ("Prefers …", "Lives in …"): the model
// chooses those, so they say nothing about where the content came from.
const STOP_WORDS = new Set(
  (
    'the and for with from that this these those into onto over under about than then there their them they ' +
    'user users has have had was were are is be been being its his her hers our ours your yours not but also ' +
    'prefers prefer preferred likes like liked loves love dislikes dislike hates hate enjoys enjoy wants want ' +
    'lives live lived living works work worked working uses use used using named name called based ' +
    'currently now anymore longer still always never usually often does did doing will would should can could ' +
    'who whom which what when where why how very really just some any all most more less other another ' +
    'planning plans plan decided decides decision chose chosen picked moved moving located favorite favourite'
  ).split(' '),
)

/** Lowercase content words of `text`: runs of letters or digits, at least 3 long (any number counts). */
export function contentWords(text: string): string[] {
  const out: string[] = []
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0]
    if ((word.length >= 3 || /^\p{N}+$/u.test(word)) && !STOP_WORDS.has(word)) out.push(word)
  }
  return out
}

// Crude stemming, enough that "deploys"/"deploy" and "moved"/"moving" meet.
function stem(word: string): string {
  if (/^\p{N}+$/u.test(word)) return word
  const s = word.replace(/(?:'s|ies|ing|ed|es|s|e)$/u, '')
  return s.length >= 3 ? s : word
}

/**
 * Share (0–1) of `content`'s content words found in `sources`, comparing stems; 1 when the
 * content has no content words at all (nothing to check).
 */
export function groundingScore(content: string, sources: readonly string[]): number {
  const words = contentWords(content)
  if (words.length === 0) return 1
  const available = new Set<string>()
  for (const source of sources) for (const word of contentWords(source)) available.add(stem(word))
  const found = words.filter((word) => available.has(stem(word))).length
  return found / words.length
}
