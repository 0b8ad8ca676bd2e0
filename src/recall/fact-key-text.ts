import { sql, type RawBuilder } from 'kysely'

/**
 * Words a keyed fact is also found by in full-text search: the name of its slot, and how people
 * ask about it. "Bought a flat in Podgórze" (key `home_location`) answers "where do they live?"
 * though it shares no word with it; its key says what it is about. Keys not listed here are found
 * by their own words (`decision_hosting` → "decision hosting", `allergy_peanuts` → "allergy peanuts").
 */
const KEY_WORDS: Readonly<Record<string, string>> = {
  home_location: 'home location lives',
  origin: 'origin from hometown',
  employer: 'employer works job company',
  job_title: 'job title role position works',
  timezone: 'timezone time zone',
  birthday: 'birthday born',
  diet: 'diet eats food',
  // Technical decisions (`decision-domains.ts`): the kind of thing the product is.
  decision_database: 'decision database',
  decision_hosting: 'decision hosting hosted cloud',
  decision_language: 'decision programming language',
  decision_queue: 'decision queue message broker',
  decision_cache: 'decision cache',
  decision_ci: 'decision ci continuous integration',
  decision_orchestration: 'decision orchestration',
  decision_frontend_framework: 'decision frontend framework',
}

/** The search words of a fact's `key` column, as a `tsvector` (empty for a fact without a key). */
export function keyWordsVector(keyColumn: string): RawBuilder<string> {
  const key = sql.ref(keyColumn)
  const cases = sql.join(
    Object.entries(KEY_WORDS).map(([name, words]) => sql`when ${name} then ${words}`),
    sql` `,
  )
  return sql<string>`to_tsvector('english', coalesce(case ${key} ${cases} else replace(${key}, '_', ' ') end, ''))`
}
