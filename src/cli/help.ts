// Help texts and exit codes only: `factline --help` loads this file and nothing heavier.

/** Exit codes scripts can rely on: 0 ok, 1 failure, 2 bad usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

export const HELP = `factline — PostgreSQL memory for OpenAI Agents SDK agents

Usage: factline <command> [options]

Commands:
  migrate    create or upgrade the tables (safe to run twice, or from several processes)
  demo       an offline walkthrough: two sessions, extraction, cross-session recall, provenance
             (--inspect then serves the inspector on its data)
  worker     run the fact extraction worker (needs DATABASE_URL and REDIS_URL or REDIS_CLUSTER_NODES)
  sweep      re-enqueue sessions whose fact extraction lags behind their transcript
  reindex    re-embed facts and excerpts with the configured embedder; index old sessions
  sessions   list sessions, or show one's transcript
  facts      list a user's facts, explain one (its sources and history), forget one or a user
  inspect    a local web page: what is remembered about a user, why, and what a run would inject

Run \`factline <command> --help\` for a command's options; \`factline --version\` for the version.
Environment: DATABASE_URL (PostgreSQL; without it the embedded PGlite in .factline/pglite is used)
`

export const MIGRATE_HELP = `Usage: factline migrate [--status] [--distributed] [--database-url URL] [--embedding-dimensions N] [--json]

  --status                    list applied and pending migrations; change nothing
  --distributed               then distribute the tables on Citus (connect to the coordinator):
                              per-user tables by user_id, colocated; factline_meta a reference
                              table. Once distributed, later runs keep new tables distributed.
  --database-url URL          PostgreSQL connection string (default: $DATABASE_URL, else embedded PGlite)
  --data-dir DIR              embedded PGlite folder when no URL is given
                              (default: $FACTLINE_DATA_DIR, else .factline/pglite)
  --embedding-dimensions N    dimension of facts.embedding, fixed on first run
                              (default: $FACTLINE_EMBEDDING_DIMENSIONS, else 1536)
  --json                      print the result as JSON

Environment: FACTLINE_RLS=1 also enables the row-level security policies on every user table
(run it as the table owner; see README, Security).
`

export const DEMO_HELP = `Usage: factline demo [--inspect [--port N] [--host HOST] [--token TOKEN] [--allow-writes]]

An offline walkthrough in memory (nothing is written to disk, no network): two sessions of one user,
fact extraction, cross-session recall, and a provenance trace.
  --inspect         then serve the inspector on the demo's data (see factline inspect --help)
`
