/**
 * The wink-nlp pipeline with its English web model, loaded once on first use: loading costs a few
 * hundred milliseconds, which processes that never extract offline should not pay.
 * @internal
 */
import type winkNLP from 'wink-nlp'
import type { ItemSentence } from 'wink-nlp'
import type model from 'wink-eng-lite-web-model'
import { packageRequire } from '../../package-require.js'

type WinkInstance = ReturnType<typeof winkNLP>

let instance: WinkInstance | null = null

/** The shared wink-nlp instance (sentence boundaries, part-of-speech tags, lemmas). */
export function winkModel(): WinkInstance {
  if (instance) return instance
  // Both are CommonJS packages, read from disk only now.
  const createWink = packageRequire('wink-nlp') as typeof winkNLP
  instance = createWink(packageRequire('wink-eng-lite-web-model') as typeof model, ['sbd', 'pos', 'negation'])
  return instance
}

/** One token of a sentence, with what the extractor reads from it. */
export interface Token {
  text: string
  lower: string
  /** Universal part-of-speech tag: `PRON`, `VERB`, `AUX`, `NOUN`, `PUNCT`, … */
  pos: string
  lemma: string
  /** Whitespace before the token in the message, so clauses render as typed. */
  space: string
}

/** The message's sentences as token lists. */
export function readTokens(text: string): Token[][] {
  const nlp = winkModel()
  const its = nlp.its
  const sentences: Token[][] = []
  nlp.readDoc(text).sentences().each((sentence: ItemSentence) => {
    const tokens = sentence.tokens()
    const values = tokens.out() as string[]
    const pos = tokens.out(its.pos) as string[]
    // wink's typings declare lemma with an extra parameter; it is an ordinary token property at run time.
    const lemma = tokens.out(its.lemma as unknown as typeof its.pos) as string[]
    const space = tokens.out(its.precedingSpaces) as string[]
    sentences.push(values.map((value, i) => ({
      text: value,
      lower: value.toLowerCase(),
      pos: pos[i] ?? 'X',
      lemma: (lemma[i] ?? value).toLowerCase(),
      space: space[i] ?? ' ',
    })))
  })
  return sentences
}
