#!/usr/bin/env bash
# Checks 01-roles.sh against a real server without Docker: a scratch database gets the roles, the
# migrator runs the built CLI's `migrate` with row-level security enabled (FACTLINE_RLS=1), the app
# role must manage DML but no DDL and see no user's rows without factline.user_id, and the worker
# role must see every row (BYPASSRLS) with no DDL either.
#   npm run build && bash deploy/postgres/check-roles.sh
# The admin connection comes from PGHOST/PGPORT/PGUSER/PGPASSWORD (default postgres@127.0.0.1:5432).
# CHECK_SUFFIX names the scratch database and roles; roles are cluster-wide, so parallel runs need
# distinct suffixes. Leftovers of an interrupted run with the same suffix are dropped first.
set -euo pipefail
cd "$(dirname "$0")/../.."

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
suffix="${CHECK_SUFFIX:-check}"
[[ "$suffix" =~ ^[a-z0-9_]+$ ]] || { echo "CHECK_SUFFIX must match [a-z0-9_]+" >&2; exit 2; }
db="factline_roles_$suffix"
migrator="factline_migrator_$suffix"
app="factline_app_$suffix"
worker="factline_worker_$suffix"
cli=dist/src/cli/main.js
[[ -f "$cli" ]] || { echo "$cli is missing: run npm run build first" >&2; exit 2; }

admin() { psql -X -q -v ON_ERROR_STOP=1 --dbname postgres "$@"; }
cleanup() {
  admin -c 'set client_min_messages = warning' -c "drop database if exists $db with (force)" \
    -c "drop role if exists $worker" -c "drop role if exists $migrator" -c "drop role if exists $app"
}
trap cleanup EXIT
cleanup

# Local servers often trust every connection; the passwords still matter where they do not.
migrator_password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
app_password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
worker_password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
as_role() { # role password sql...
  local role="$1" password="$2"
  shift 2
  PGPASSWORD="$password" psql -X -q -At -v ON_ERROR_STOP=1 --username "$role" --dbname "$db" "$@"
}
fail() { echo "FAIL: $*" >&2; exit 1; }

admin -c "create database $db"
POSTGRES_USER="$PGUSER" POSTGRES_DB="$db" \
  FACTLINE_MIGRATOR_ROLE="$migrator" FACTLINE_APP_ROLE="$app" FACTLINE_WORKER_ROLE="$worker" \
  FACTLINE_MIGRATOR_PASSWORD="$migrator_password" FACTLINE_APP_PASSWORD="$app_password" \
  FACTLINE_WORKER_PASSWORD="$worker_password" \
  bash deploy/postgres/01-roles.sh >/dev/null
echo "ok: 01-roles.sh created $migrator, $app and $worker in $db"

FACTLINE_RLS=1 DATABASE_URL="postgres://$migrator:$migrator_password@$PGHOST:$PGPORT/$db" node "$cli" migrate >/dev/null \
  || fail "$migrator could not run factline migrate"
echo "ok: $migrator ran factline migrate with row-level security enabled"

[[ "$(as_role "$migrator" "$migrator_password" -c 'select rolsuper from pg_roles where rolname = current_user')" == f ]] \
  || fail "$migrator is a superuser"
echo "ok: $migrator is not a superuser"

# One transaction per user: the policies see the session row an earlier statement inserted.
rows="$(as_role "$app" "$app_password" -1 \
  -c "select set_config('factline.user_id', 'check-user', true) is not null" \
  -c "insert into agent_sessions (session_id, user_id) values ('check-roles', 'check-user')" \
  -c "insert into agent_messages (user_id, session_id, message_data) values ('check-user', 'check-roles', '{}')" \
  -c "select count(*) from agent_messages where session_id = 'check-roles'")" || fail "$app could not insert and select as its user"
[[ "$rows" == $'t\n1' ]] || fail "$app read $rows rows back, expected 1"
echo "ok: $app can insert and select its user's rows (including bigserial ids)"

unscoped="$(as_role "$app" "$app_password" -c "select count(*) from agent_messages")"
[[ "$unscoped" == 0 ]] || fail "$app saw $unscoped messages without factline.user_id, expected 0"
echo "ok: $app sees no row without factline.user_id (row-level security)"

seen="$(as_role "$worker" "$worker_password" -c "select count(*) from agent_messages where session_id = 'check-roles'")"
[[ "$seen" == 1 ]] || fail "$worker saw $seen messages, expected 1 (BYPASSRLS)"
as_role "$app" "$app_password" -1 -c "select set_config('factline.user_id', 'check-user', true) is not null" \
  -c "delete from agent_sessions where session_id = 'check-roles'" >/dev/null || fail "$app could not delete its user's session"
echo "ok: $worker sees every user's rows; $app deletes its own"

expect_denied() { # description sql [role password]
  local out role="${3:-$app}" password="${4:-$app_password}"
  if out="$(as_role "$role" "$password" -c "$2" 2>&1)"; then fail "$role could $1"; fi
  [[ "$out" == *"permission denied"* || "$out" == *"must be owner"* ]] || fail "$role could not $1, but not for lack of rights: $out"
  echo "ok: $role cannot $1"
}
expect_denied 'create a table' 'create table check_roles (i int)'
expect_denied 'drop a table' 'drop table facts'
expect_denied 'alter a table' 'alter table facts add column x int'
expect_denied 'create a schema' 'create schema check_roles'
expect_denied 'create a temporary table' 'create temporary table check_roles (i int)'
expect_denied 'disable row-level security' 'alter table facts disable row level security'
expect_denied 'create a table' 'create table check_roles (i int)' "$worker" "$worker_password"
expect_denied 'disable row-level security' 'alter table facts disable row level security' "$worker" "$worker_password"
