import pg from 'pg'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A pool for the harness itself; it must ride out the faults it injects. */
export function harnessPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}

type Progress = Map<string, { watermark: number; newest: number }>

async function readProgress(pool: pg.Pool, prefix: string): Promise<Progress> {
  const { rows } = await pool.query<{ session_id: string; extracted_through: string; newest: string | null }>(
    `select s.session_id, s.extracted_through, max(m.id) as newest
       from agent_sessions s left join agent_messages m on m.session_id = s.session_id
      where s.session_id like $1 group by s.session_id, s.extracted_through`,
    [`${prefix}-%`],
  )
  return new Map(rows.map((r) => [r.session_id, { watermark: Number(r.extracted_through), newest: Number(r.newest ?? 0) }]))
}

/**
 * Polls the sessions' watermarks against their newest messages every `everyMs` and keeps the
 * longest stall: the longest time a lagging session's watermark did not move. Reads that fail
 * (the database is down) are skipped; the time still counts toward the stall.
 */
export function watchExtraction(pool: pg.Pool, prefix: string, everyMs = 100) {
  const lagSince = new Map<string, number>()
  let last: Progress = new Map()
  let longestStallMs = 0
  let stopped = false
  const tick = async () => {
    const now = Date.now()
    const progress = await readProgress(pool, prefix)
    for (const [session, p] of progress) {
      const before = last.get(session)
      const lagging = p.watermark < p.newest
      if (!lagging) lagSince.delete(session)
      else if (!lagSince.has(session) || (before && p.watermark > before.watermark)) lagSince.set(session, now)
    }
    for (const since of lagSince.values()) longestStallMs = Math.max(longestStallMs, now - since)
    last = progress
  }
  const loop = (async () => {
    while (!stopped) {
      await tick().catch(() => {})
      await sleep(everyMs)
    }
  })()
  return {
    get longestStallMs() {
      return longestStallMs
    },
    /** The newest message of every session now (retrying while the database is down). */
    async snapshot(): Promise<Map<string, number>> {
      for (;;) {
        const progress = await readProgress(pool, prefix).catch(() => undefined)
        if (progress) return new Map([...progress].map(([s, p]) => [s, p.newest]))
        await sleep(everyMs)
      }
    },
    /** Resolves when every session's watermark has reached `targets` (or `timeoutMs` passes: false). */
    async caughtUp(targets: Map<string, number>, timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const progress = await readProgress(pool, prefix).catch(() => undefined)
        if (progress && [...targets].every(([s, newest]) => (progress.get(s)?.watermark ?? 0) >= newest)) return true
        await sleep(everyMs)
      }
      return false
    },
    async stop() {
      stopped = true
      await loop
    },
  }
}

/** What SQL says after a run: every figure should be 0. */
export interface GroundTruth {
  /** Turns the app sent that are not stored. */
  lost: number
  /** Stored turns beyond the first copy of each. */
  duplicated: number
  /** Active facts beyond the first with the same user, namespace and content (or the same single-valued key). */
  duplicateFacts: number
  /** Facts without a source, or with a source message that is gone or belongs to another user. */
  brokenProvenance: number
  /** Sessions whose watermark is behind their newest message. */
  lagging: number
  /** Stored turns that no fact cites (each turn states one fact). */
  unextracted: number
}

/** Checks the stored state of `sessions` sessions × `turnTexts` turns written under `prefix`. */
export async function checkGroundTruth(pool: pg.Pool, prefix: string, sessions: number, turnTexts: readonly string[]): Promise<GroundTruth> {
  const like = `${prefix}-%`
  const { rows: messages } = await pool.query<{ session_id: string; content: string; copies: string }>(
    `select session_id, message_data->>'content' as content, count(*) as copies
       from agent_messages where session_id like $1 group by 1, 2`,
    [like],
  )
  const stored = new Map(messages.map((m) => [`${m.session_id}\n${m.content}`, Number(m.copies)]))
  let lost = 0
  for (let s = 0; s < sessions; s++) {
    for (const text of turnTexts) if (!stored.has(`${prefix}-session-${s}\n${text}`)) lost++
  }
  const duplicated = messages.reduce((n, m) => n + Number(m.copies) - 1, 0)
  const one = async (query: string) => Number((await pool.query<{ n: string }>(query, [like])).rows[0]?.n ?? 0)
  const duplicateFacts =
    (await one(`select coalesce(sum(c - 1), 0) as n from (select count(*) as c from facts
       where user_id like $1 and status = 'active' group by user_id, namespace, content) d`)) +
    (await one(`select coalesce(sum(c - 1), 0) as n from (select count(*) as c from facts
       where user_id like $1 and status = 'active' and key is not null group by user_id, namespace, key) d`))
  const brokenProvenance =
    (await one(`select count(*) as n from facts f where f.user_id like $1
       and not exists (select 1 from fact_sources fs where fs.fact_id = f.id)`)) +
    (await one(`select count(*) as n from facts f join fact_sources fs on fs.fact_id = f.id
       left join agent_messages m on m.id = fs.message_id and m.session_id = fs.session_id
       left join agent_sessions s on s.session_id = m.session_id
      where f.user_id like $1 and (m.id is null or s.user_id is distinct from f.user_id)`))
  const lagging = await one(`select count(*) as n from agent_sessions s where s.session_id like $1
       and s.extracted_through < (select coalesce(max(id), 0) from agent_messages m where m.session_id = s.session_id)`)
  const unextracted = await one(`select count(*) as n from agent_messages m where m.session_id like $1
       and not exists (select 1 from fact_sources fs where fs.message_id = m.id)`)
  return { lost, duplicated, duplicateFacts, brokenProvenance, lagging, unextracted }
}
