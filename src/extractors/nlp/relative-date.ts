/**
 * Relative dates in a clause ("yesterday", "on Friday", "next month") rewritten as absolute ones
 * against the message time, so a fact read a year later still says when. Without a message time
 * the clause is left as it is.
 * @internal
 */

const DAY_MS = 86_400_000
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const NUMBERS: Readonly<Record<string, number>> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 }

// Bounded alternations only: the clause is short and this runs in one pass.
const RELATIVE = new RegExp(
  [
    // Not "every Tuesday" or "Tuesday evenings": those recur.
    '(?<!every\\s|each\\s)\\b(?:on\\s+|this\\s+past\\s+|this\\s+coming\\s+|this\\s+|last\\s+|next\\s+|coming\\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)\\b(?!\\s+(?:mornings|afternoons|evenings|nights|lunch|lunches|dinner|dinners|brunch|roast|school|league|market|paper|service)\\b)',
    '\\b(yesterday|today|tonight|tomorrow)\\b',
    '\\b(?:this\\s+(morning|afternoon|evening)|(last)\\s+night)\\b',
    '\\b(last|next|this)\\s+(week|month|year)\\b',
    '\\b(?:in\\s+)(a|an|one|two|three|four|five|six|seven|eight|nine|ten|\\d{1,2})\\s+(days?|weeks?)(?!\\s+ago)\\b',
    '\\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|\\d{1,2})\\s+(days?|weeks?)\\s+ago(?:\\s+today)?\\b',
  ].join('|'),
  'giu',
)

/** Whether the clause talks about the future (a plan), which decides which "Friday" is meant. */
export type Tense = 'past' | 'present' | 'future'

/** Replaces relative date phrases with absolute ones; returns the text unchanged without `at`. */
export function resolveRelativeDates(text: string, at: Date | undefined, tense: Tense): string {
  if (at === undefined || Number.isNaN(at.getTime())) return text
  const today = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate())
  // Several weekdays in one clause are a schedule ("Monday, Tuesday and Thursday"), not dates.
  const weekdays = WEEKDAYS.filter((d) => text.toLowerCase().includes(d)).length
  return text.replace(RELATIVE, (phrase: string, ...groups: unknown[]) => {
    const offset = groups[groups.length - 2] as number
    const whole = groups[groups.length - 1] as string
    // "by Friday" → "by 2026-11-27", not "by on 2026-11-27".
    const bare = /\b(?:by|before|until|till|since|from|after)\s+$/i.test(whole.slice(0, offset))
    const g = groups.slice(0, 11).map((v) => (typeof v === 'string' ? v.toLowerCase() : undefined))
    const lower = phrase.toLowerCase()
    if (g[0] !== undefined && weekdays > 1) return phrase
    if (g[0] !== undefined) {
      const target = WEEKDAYS.indexOf(g[0])
      const weekday = new Date(today).getUTCDay()
      const future = lower.startsWith('next') || lower.includes('coming') || (tense === 'future' && !lower.startsWith('last') && !lower.includes('past'))
      const delta = future ? (target - weekday + 7) % 7 || 7 : -((weekday - target + 7) % 7 || 7)
      return bare ? iso(today + delta * DAY_MS) : `on ${iso(today + delta * DAY_MS)}`
    }
    if (g[1] !== undefined) {
      const delta = { yesterday: -1, today: 0, tonight: 0, tomorrow: 1 }[g[1]] ?? 0
      return `on ${iso(today + delta * DAY_MS)}`
    }
    if (g[2] !== undefined) return `on ${iso(today)}`
    if (g[3] !== undefined) return `on ${iso(today - DAY_MS)}`
    if (g[4] !== undefined && g[5] !== undefined) return period(today, g[4], g[5])
    if (g[6] !== undefined && g[7] !== undefined) return shifted(today, g[6], g[7], 1)
    if (g[8] !== undefined && g[9] !== undefined) return shifted(today, g[8], g[9], -1)
    return phrase
  })
}

function period(today: number, which: string, unit: string): string {
  const step = which === 'last' ? -1 : which === 'next' ? 1 : 0
  const d = new Date(today)
  if (unit === 'week') {
    const monday = today - ((d.getUTCDay() + 6) % 7) * DAY_MS
    return `in the week of ${iso(monday + step * 7 * DAY_MS)}`
  }
  if (unit === 'month') {
    const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + step, 1))
    return `in ${MONTHS[m.getUTCMonth()]} ${m.getUTCFullYear()}`
  }
  return `in ${d.getUTCFullYear() + step}`
}

function shifted(today: number, count: string, unit: string, sign: 1 | -1): string {
  const n = NUMBERS[count] ?? Number.parseInt(count, 10)
  const days = unit.startsWith('week') ? n * 7 : n
  const date = iso(today + sign * days * DAY_MS)
  return unit.startsWith('week') ? `around ${date}` : `on ${date}`
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}
