#!/usr/bin/env bash
# Least-privilege roles for factline. The postgres image runs this once, as the bootstrap
# superuser, when it initialises an empty data directory (mounted into /docker-entrypoint-initdb.d/).
#   factline_migrator  owns the schema and runs `factline migrate` (DDL)
#   factline_app       the application: DML only, no CREATE anywhere; row-level security
#                      (when enabled: FACTLINE_RLS=1) shows it only the user factline names
#   factline_worker    extraction workers and the sweep: DML only, BYPASSRLS, because a job names a
#                      session, not a user, and the sweep scans every user's sessions. Created only
#                      when FACTLINE_WORKER_PASSWORD is set (creating a BYPASSRLS role needs a superuser).
# Safe to run again by hand (e.g. on a volume created before these roles existed): it updates
# passwords and grants instead of failing. The role names can be overridden, which
# check-roles.sh does so parallel checks never share cluster-wide roles.
# Plain `set -e`, as in the image docs: a script without its executable bit is sourced into the
# entrypoint, and options like -u would leak into it.
set -e

: "${FACTLINE_MIGRATOR_PASSWORD:?set FACTLINE_MIGRATOR_PASSWORD}"
: "${FACTLINE_APP_PASSWORD:?set FACTLINE_APP_PASSWORD}"
worker_role="${FACTLINE_WORKER_ROLE:-factline_worker}"

# No --host: inside the image the entrypoint's temporary server listens only on its socket;
# psql picks up PGHOST/PGPORT/PGPASSWORD when they are set.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v migrator="${FACTLINE_MIGRATOR_ROLE:-factline_migrator}" \
  -v app="${FACTLINE_APP_ROLE:-factline_app}" \
  -v migrator_password="$FACTLINE_MIGRATOR_PASSWORD" \
  -v app_password="$FACTLINE_APP_PASSWORD" \
  -v worker="$worker_role" \
  -v worker_password="${FACTLINE_WORKER_PASSWORD:-}" <<'EOSQL'
SELECT format('CREATE ROLE %I', :'migrator') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'migrator') \gexec
SELECT format('CREATE ROLE %I', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"migrator" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'migrator_password';
ALTER ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';
-- The worker role exists only when it has a password; :'worker_password' is '' otherwise.
SELECT :'worker_password' <> '' AS with_worker \gset
\if :with_worker
SELECT format('CREATE ROLE %I', :'worker') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'worker') \gexec
ALTER ROLE :"worker" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS PASSWORD :'worker_password';
GRANT :"app" TO :"worker";
\endif

-- pgvector is not a trusted extension, so only a superuser can create it; the migrator's
-- `create extension if not exists vector` then finds it and does nothing.
CREATE EXTENSION IF NOT EXISTS vector;

REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
-- The worker connects through its membership of the app role (GRANT above), which also gives it
-- the app's table rights: same DML, no DDL, never more.
GRANT CONNECT ON DATABASE :"db" TO :"migrator", :"app";

ALTER SCHEMA public OWNER TO :"migrator";
-- PostgreSQL 15+ already withholds CREATE from PUBLIC; older servers do not.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- Tables and sequences the migrator creates later (every migration) are usable by the app at once.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT USAGE ON SEQUENCES TO :"app";
-- Default privileges reach only future objects; this covers tables from before a re-run.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO :"app";
EOSQL
