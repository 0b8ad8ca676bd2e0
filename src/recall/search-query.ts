import type { SessionLookup } from '../session/sessions-table.js'
import { messageRole, previousMessageData } from '../session/messages-table.js'
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { cosineDistance, toVectorLiteral } from '../db/vector.js'
import type { Scope } from '../scope.js'
import { scopedFacts } from '../facts/scoped-facts.js'
import { scopedExcerpts } from './excerpts-table.js'
import { keyWordsVector } from './fact-key-text.js'
import { RRF_K } from './recall-query.js'

/** Everything one search statement depends on, already validated. @internal */
export interface SearchQueryParams {
  text: string
  vector: readonly number[]
  facts: boolean
  excerpts: boolean
  /** Depth of each of the four rankings before fusion. */
  candidates: number
  k: number
  /**
   * Relevance rule: a vector candidate whose similarity is below this share of the best
   * similarity in its layer leaves the vector ranking (0 keeps all). See `searchMemory`.
   */
  relativeFloor: number
  since?: Date | undefined
  until?: Date | undefined
  /** Leave out this session's excerpts (the running session's history is already in the prompt). */
  excludeSessionId?: string | undefined
  /** Refuse (row `owned` false, no hits) unless this session is stored as the scope's or not at all. */
  ownedSessionId?: string | undefined
  /** How the owner check finds `ownedSessionId`'s row (see `SessionLookup`). */
  ownerLookup?: SessionLookup | undefined
  recencyHalfLifeDays: number
  recencyWeight: number
  /** Ages are counted from the scope's newest memory; this instant only when the scope is empty. */
  now: number
}

/** A row of the search statement; JSON columns come back parsed (pg and PGlite both do). @internal */
export interface SearchRow {
  /** False when `ownedSessionId` belongs to another scope; then it is the only row. */
  owned: boolean
  /** Null on the single row of a search with no hits. */
  type: 'fact' | 'excerpt' | null
  id: string
  text: string
  score: number
  similarity: number | null
  at: Date | string
  session_id: string | null
  message_id: string | number | null
  sources: SearchSourceJson[] | string | null
  /** For an excerpt that starts its message: the message's role, and the stored JSON of the user or assistant message before it. */
  role: string | null
  previous: string | null
}

/** A source as `json_build_object` returns it. @internal */
export interface SearchSourceJson {
  sessionId: string
  messageId: number | string
  at: string
}

const words = (text: string) => sql`replace(plainto_tsquery('english', ${text})::text, ' & ', ' | ')::tsquery`
const rr = (rank: RawBuilder<unknown>) => sql`coalesce(1 / (${sql.lit(RRF_K)}::float8 + ${rank}), 0)`
const NORMALISE = sql`(2::float8 / ${sql.lit(RRF_K + 1)})`

/** The recency factor, with ages counted back from the scope's newest memory (the `anchor` CTE). */
function recency(column: RawBuilder<unknown>, p: SearchQueryParams) {
  const ms = sql`floor(extract(epoch from ${column}) * 1000)::float8`
  const ageDays = sql`((select ms from anchor) - ${ms}) / 86400000`
  const w = sql`${p.recencyWeight}::float8`
  return sql`(1 - ${w} + ${w} * power(0.5::float8, greatest(0::float8, ${ageDays}) / ${p.recencyHalfLifeDays}::float8))`
}

/**
 * A heavy user may hold far more excerpts than facts. Their vector ranking starts from the
 * `embedding_bits` code (one bit per dimension) read from a covering per-user index: the
 * `HAMMING_DEPTH × candidates` nearest by Hamming distance, which the exact cosine then re-ranks.
 * A scope with fewer excerpts than that is re-ranked whole (exact). Measured at 100,000 excerpts
 * of one user among 1,000,000: the same top 10 as the exact scan in a seventh of the time
 * (`npm run bench -- --only episodic`).
 */
const HAMMING_DEPTH = 10

function hammingCandidates(p: SearchQueryParams) {
  return sql`select id from e_scoped where embedding_bits is not null
    order by embedding_bits <~> binary_quantize(${toVectorLiteral(p.vector)}::vector), id
    limit ${HAMMING_DEPTH * p.candidates}`
}

/**
 * The two rankings of one layer (vector and full text over the scope's rows, `candidates` deep
 * each) fused by normalised reciprocal rank fusion × recency, as `recallQuery` scores facts:
 * `(1/(60 + r_vec) + 1/(60 + r_text)) / (2/61) × recency(at)`. `scoped` must expose
 * `id, at, embedding, search` plus the `extra` columns, which are carried through. With
 * `coarse` (a query returning candidate ids), the vector ranking re-ranks only those candidates.
 */
function layerCtes(prefix: string, extra: string[], p: SearchQueryParams, coarse?: RawBuilder<unknown>) {
  const t = (name: string) => sql.id(`${prefix}_${name}`)
  // Candidates first (materialized: computed once), then exact cosine on those rows only.
  const coarseCte = coarse ? sql`${t('coarse')} as materialized (${coarse}),` : sql``
  const candidateRows = coarse ? sql`and id in (select id from ${t('coarse')})` : sql``
  const carry = sql.join(extra.map((c) => sql.ref(c)))
  const carried = extra.length > 0 ? sql`, ${carry}` : sql``
  const floor =
    p.relativeFloor > 0
      ? sql`where 1 - distance >= ${p.relativeFloor}::float8 * (1 - (select min(distance) from ${t('near')}))`
      : sql``
  return sql`
    ${coarseCte}
    ${t('near')} as (
      select id, at${carried}, ${cosineDistance('embedding', p.vector)} as distance
      from ${t('scoped')} where embedding is not null ${candidateRows}
      order by distance, id limit ${p.candidates}
    ),
    ${t('vec')} as (
      select id, at${carried}, 1 - distance as similarity,
             row_number() over (order by distance, id) as rank
      from ${t('near')} ${floor}
    ),
    ${t('hits')} as (
      select id, at${carried}, ts_rank_cd(search, ${words(p.text)}) as text_rank
      from ${t('scoped')} where search @@ ${words(p.text)}
      order by text_rank desc, id limit ${p.candidates}
    ),
    ${t('txt')} as (
      select id, at${carried}, row_number() over (order by text_rank desc, id) as rank from ${t('hits')}
    ),
    ${t('scored')} as (
      select id, at${carried}, max(similarity) as similarity,
             (${rr(sql`max(vec_rank)`)} + ${rr(sql`max(text_rank)`)}) / ${NORMALISE} * ${recency(sql.ref('at'), p)} as score
      from (
        select id, at${carried}, similarity, rank as vec_rank, null::bigint as text_rank from ${t('vec')}
        union all
        select id, at${carried}, null::float8, null::bigint, rank from ${t('txt')}
      ) both_rankings
      group by id, at${carried}
    )`
}

/**
 * `memory.search` as one statement (one round trip), over both layers of one `(userId, namespace)`:
 *
 * - `f_scoped`: the scope's active facts, `MATERIALIZED` so their rankings are exact over the
 *   user's own rows (the per-user btrees, never an approximate index filtered afterwards);
 *   `e_scoped`: the scope's excerpts, inlined into each use so each reads only what it needs
 *   (the covering index for the Hamming candidates, see `hammingCandidates`); both narrowed by
 *   `since` / `until`, the excerpts also by the excluded session;
 * - per layer, a vector and a full-text ranking fused by reciprocal rank fusion × recency
 *   (`layerCtes`), so a fact scores exactly what `recallFacts` gives it;
 * - facts are also found by text through their key's words (`fact-key-text.ts`), and a name fact
 *   only by questions about names (every question naming the user would match it otherwise);
 * - an excerpt whose message is the source of a superseded fact never outranks the fact that
 *   superseded it when that fact is a candidate: a later correction ranks above the stale message;
 * - an excerpt whose message is a source of a fact candidate scoring at least as well is folded
 *   into that fact (not listed: the fact says it, with the excerpt's message among its sources);
 *   an excerpt that outscores every fact drawn from it says more than they do and stays, and a fact
 *   whose every source message is listed above it as a whole-message excerpt is folded into those
 *   (its words are already in the list: at k 5 on the eval, three slots went to one message);
 * - the best `k` of both layers, ties to the closer vector match, then facts, then the id; with
 *   their text and sources (a fact's provenance, an excerpt's own message).
 * @internal
 */
export function searchQuery(db: Kysely<Database>, scope: Scope, p: SearchQueryParams) {
  let facts = scopedFacts(db, scope)
    .select(['facts.id', 'facts.valid_from as at', 'facts.embedding'])
    // A user's name fact shares a word with every question that names them ("Which department does
    // Priya work in?"); it takes part in the text ranking only for questions about names.
    .select(
      sql<string>`case when facts.key = 'name' and not (to_tsvector('english', ${p.text}) @@ to_tsquery('english', 'name | call')) then null
                  else facts.search || ${keyWordsVector('facts.key')} end`.as(
        'search',
      ),
    )
    .where('facts.status', '=', 'active')
  if (!p.facts) facts = facts.where(sql<boolean>`false`)
  if (p.since) facts = facts.where('facts.valid_from', '>=', p.since)
  if (p.until) facts = facts.where('facts.valid_from', '<', p.until)

  let excerpts = scopedExcerpts(db, scope).select([
    'transcript_excerpts.id',
    'transcript_excerpts.at',
    'transcript_excerpts.embedding',
    'transcript_excerpts.embedding_bits',
    'transcript_excerpts.search',
    'transcript_excerpts.session_id',
    'transcript_excerpts.message_id',
  ])
  if (!p.excerpts) excerpts = excerpts.where(sql<boolean>`false`)
  if (p.since) excerpts = excerpts.where('transcript_excerpts.at', '>=', p.since)
  if (p.until) excerpts = excerpts.where('transcript_excerpts.at', '<', p.until)
  if (p.excludeSessionId !== undefined) excerpts = excerpts.where('transcript_excerpts.session_id', '<>', p.excludeSessionId)

  // The running session must be stored as this scope's (or not stored yet): checked in this
  // statement, so the owner check costs no round trip of its own. Not owned → one row, owned = false.
  const ownerCheck = p.ownedSessionId === undefined
    ? sql`true`
    : p.ownerLookup === 'own-rows'
      ? sql`not exists (select 1 from ${sql.table('agent_sessions')} where user_id = ${scope.userId}
                        and session_id = ${p.ownedSessionId} and namespace <> ${scope.namespace})`
      : sql`not exists (select 1 from ${sql.table('agent_sessions')} where session_id = ${p.ownedSessionId}
                        and (user_id <> ${scope.userId} or namespace <> ${scope.namespace}))`
  const factSources = sql.table('fact_sources')
  const messages = sql.table('agent_messages')
  return sql<SearchRow>`
    with f_scoped as materialized ${facts},
    e_scoped as not materialized ${excerpts},
    anchor as (
      select coalesce(floor(extract(epoch from greatest((select max(at) from f_scoped), (select max(at) from e_scoped))) * 1000)::float8,
                      ${p.now}::float8) as ms
    ),
    ${layerCtes('f', [], p)},
    ${layerCtes('e', ['session_id', 'message_id'], p, hammingCandidates(p))},
    e_current as (
      select e.id, e.at, e.similarity, e.session_id, e.message_id,
             case when successor.score < e.score then successor.score * 0.999 else e.score end as score
      from e_scored e
      left join lateral (
        select max(f.score) as score
        from ${factSources} fs
        join ${sql.table('facts')} stale on stale.user_id = fs.user_id and stale.id = fs.fact_id
        join f_scored f on f.id = stale.superseded_by
        where fs.user_id = ${scope.userId} and fs.message_id = e.message_id and stale.status = 'superseded'
          and stale.user_id = ${scope.userId} and stale.namespace = ${scope.namespace}
      ) successor on true
    ),
    guard as (select ${ownerCheck} as owned),
    e_listed as (
      select e.* from e_current e
      where not exists (
        select 1 from ${factSources} fs join f_scored f on f.id = fs.fact_id
        where fs.user_id = ${scope.userId} and fs.message_id = e.message_id and f.score >= e.score
      )
    ),
    f_listed as (
      select f.* from f_scored f
      where not exists (select 1 from ${factSources} fs where fs.user_id = ${scope.userId} and fs.fact_id = f.id)
         or exists (
           select 1 from ${factSources} fs
           where fs.user_id = ${scope.userId} and fs.fact_id = f.id
             and not exists (
               select 1 from e_listed e
               where e.message_id = fs.message_id and e.score > f.score
                 and not exists (select 1 from ${sql.table('transcript_excerpts')} x
                                 where x.user_id = ${scope.userId} and x.message_id = e.message_id and x.chunk > 0)
             )
         )
    ),
    hits as (
      select 'fact' as type, f.id::text as id, f.score, f.similarity, f.at,
             null::text as session_id, null::bigint as message_id
      from f_listed f
      union all
      select 'excerpt', e.id::text, e.score, e.similarity, e.at, e.session_id, e.message_id
      from e_listed e
      order by score desc, similarity desc nulls last, type desc, id
      limit ${p.k}
    )
    select guard.owned, hits.type, hits.id, hits.score, hits.similarity, hits.at, hits.session_id, hits.message_id,
           coalesce(fact.content, excerpt.text) as text,
           case when hits.type = 'fact' then fact_src.sources
                else json_build_array(json_build_object('sessionId', hits.session_id, 'messageId', hits.message_id, 'at', hits.at))
           end as sources,
           case when excerpt.chunk = 0 then (select ${messageRole('m.message_data')} from ${messages} m
                                             where m.user_id = ${scope.userId} and m.id = excerpt.message_id) end as role,
           case when excerpt.chunk = 0 then ${previousMessageData({ userId: sql`${scope.userId}`, sessionId: 'excerpt.session_id', id: 'excerpt.message_id' })} end as previous
    from guard left join hits on guard.owned
    left join ${sql.table('facts')} fact
      on fact.id = case when hits.type = 'fact' then hits.id::uuid end
      and fact.user_id = ${scope.userId} and fact.namespace = ${scope.namespace}
    left join ${sql.table('transcript_excerpts')} excerpt
      on excerpt.id = case when hits.type = 'excerpt' then hits.id::bigint end
      and excerpt.user_id = ${scope.userId} and excerpt.namespace = ${scope.namespace}
    left join lateral (
      select coalesce(json_agg(json_build_object('sessionId', fs.session_id, 'messageId', fs.message_id, 'at', m.created_at)
                               order by fs.message_id), '[]'::json) as sources
      from ${factSources} fs join ${messages} m on m.user_id = fs.user_id and m.id = fs.message_id
      where fs.user_id = ${scope.userId} and fs.fact_id = case when hits.type = 'fact' then hits.id::uuid end
    ) fact_src on true
    order by hits.score desc nulls last, hits.similarity desc nulls last, hits.type desc, hits.id`
}
