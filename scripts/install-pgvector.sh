#!/usr/bin/env bash
# Builds pgvector from Debian's source package (trixie) for the local PostgreSQL and
# enables it in the target database. Idempotent: does nothing when the extension is
# already available. Needs root and Debian's package mirrors.
set -euo pipefail

PGHOST="${PGHOST:-127.0.0.1}"
PGUSER="${PGUSER:-postgres}"
PGDATABASE="${PGDATABASE:-test}"
export PGHOST PGUSER PGDATABASE

available() {
  [ "$(psql -XAtc "select count(*) from pg_available_extensions where name = 'vector'")" = "1" ]
}

if available; then
  echo "pgvector: already available"
else
  pg_major="$(psql -XAtc 'show server_version_num' | cut -c1-2)"
  echo "pgvector: building for PostgreSQL ${pg_major}"
  src_list=/etc/apt/sources.list.d/factline-trixie-src.sources
  if [ ! -f "$src_list" ]; then
    cat >"$src_list" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "postgresql-server-dev-${pg_major}" dpkg-dev make gcc >/dev/null
  work="$(mktemp -d)"
  (
    cd "$work"
    apt-get source -qq pgvector >/dev/null
    cd "$(find . -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
    make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" >/dev/null
    make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" install >/dev/null
  )
  rm -rf "$work"
  available || { echo "pgvector: build finished but the extension is not available" >&2; exit 1; }
fi

psql -XAtqc 'create extension if not exists vector'
echo "pgvector: $(psql -XAtc "select extversion from pg_extension where extname = 'vector'") enabled in ${PGDATABASE}"
