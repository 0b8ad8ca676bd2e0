import { describe, expect, it } from 'vitest'
import type { ExtractionItem } from '../../../src/extractors/extractor.js'
import { MAX_RULE_ITEM_CHARS, RuleExtractor, truncateItemText } from '../../../src/extractors/rules/rule-extractor.js'

const rules = new RuleExtractor()

async function contents(...texts: string[]): Promise<string[]> {
  const items: ExtractionItem[] = texts.map((text, i) => ({ messageId: i + 1, sessionId: 's-bounds', role: 'user', text }))
  const facts = await rules.extract({ userId: 'u', namespace: 'default', existingFacts: [], items })
  return facts.map((f) => f.content)
}

const MB = 1024 * 1024
// Inputs that made the old backtracking trims and quote patterns quadratic.
const ADVERSARIAL: Record<string, string> = {
  'trailing punctuation': 'I like rust' + ','.repeat(MB) + 'x',
  'dash runs': 'I like rust' + ' -'.repeat(MB / 2) + 'x',
  'unclosed curly single quotes': '‘a '.repeat(MB / 3),
  'unclosed curly double quotes': '“'.repeat(MB) + '\nI live in Oslo.',
  'unclosed guillemets': '«'.repeat(MB) + '\nI live in Oslo.',
  'blank lines': '\n'.repeat(MB) + 'x',
}

describe('RuleExtractor on large and hostile input', () => {
  it.each(Object.entries(ADVERSARIAL))('extracts from 1 MB of %s without failing', async (_name, text) => {
    await expect(contents(`I live in Berlin. ${text}`)).resolves.toContain('Lives in Berlin')
  })

  it('reads only the first part of a long message', async () => {
    const filler = 'Nothing to see here. '.repeat(2_000)
    expect(await contents(`I live in Berlin. ${filler}I work at Acme.`)).toEqual(['Lives in Berlin'])
  })

  it('cuts a long message at a sentence end', () => {
    const text = `I live in Berlin. ${'Filler words here. '.repeat(2_000)}`
    const cut = truncateItemText(text)
    expect(cut.length).toBeLessThanOrEqual(MAX_RULE_ITEM_CHARS)
    expect(cut.endsWith('.')).toBe(true)
    expect(truncateItemText('short.')).toBe('short.')
    expect(truncateItemText('x '.repeat(MAX_RULE_ITEM_CHARS)).length).toBeLessThanOrEqual(MAX_RULE_ITEM_CHARS)
  })

  it('reads a clause with a long tail', async () => {
    expect(await contents(`I live in Berlin${','.repeat(5_000)}`)).toEqual(['Lives in Berlin'])
  })

  it('drops a candidate with an oversized object, not the batch', async () => {
    const token = 'a'.repeat(3_000)
    const facts = await contents(
      `I like ${token}. My name is ${token}. I live in ${token}. I prefer ${token} over tabs. Remember that ${token}.`,
      'I work at Acme.',
    )
    expect(facts).toEqual(['Works at Acme'])
  })

  it('still reads ordinary messages after a long one in the same batch', async () => {
    expect(await contents(`I love ${'x'.repeat(2_500)}`, 'I live in Lisbon.', 'I prefer tabs over spaces.')).toEqual([
      'Lives in Lisbon',
      'Prefers tabs over spaces',
    ])
  })
})
