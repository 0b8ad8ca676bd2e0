/**
 * How a fact's key is spelled: the slot names that let a later statement supersede an earlier one
 * (`opinion_rust`, `allergy_peanuts`, `favorite_food`). Domain knowledge no NLP library has.
 * @internal
 */

const LEADING_DETERMINER = /^(?:the|a|an|my|our|their|to)\s+/i

/**
 * Lowercase snake_case slug of a phrase, without a leading article or possessive, at most `max`
 * characters. `C++` → `cpp`, `C#` → `csharp`, `São Paulo` → `sao_paulo`.
 */
export function slugify(phrase: string, max = 40): string {
  return phrase
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(LEADING_DETERMINER, '')
    .replace(/\+\+/g, 'pp')
    .replace(/#/g, 'sharp')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[_0-9]+|_+$/g, '')
    .slice(0, max)
    .replace(/_+$/, '')
}

/** `prefix_slug`, or null when the phrase has no letters or digits to key on. */
export function keyFor(prefix: string, phrase: string): string | null {
  const slug = slugify(phrase)
  return slug === '' ? null : `${prefix}_${slug}`
}
