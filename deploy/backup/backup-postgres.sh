#!/usr/bin/env bash
# Back up Wennuan's PostgreSQL database with pg_dump (custom format), keeping the newest N.
#
#   backup-postgres.sh [DEST_DIR]
#
# DATABASE_URL   the app's database (postgres:// or postgresql://), as in /etc/wennuan/wennuan.env
# BACKUP_DIR     where dumps go when DEST_DIR is not given (default /var/backups/wennuan)
# BACKUP_KEEP    how many dumps to keep (default 14)
#
# Safe while the app runs: pg_dump reads one consistent snapshot and blocks no writer. It waits
# (at most 5 minutes, then fails) only for a lock a running migration holds. The password never
# appears on a command line (ps): it goes to pg_dump in PGPASSWORD.
# Writes DEST_DIR/wennuan-YYYYmmddTHHMMSSZ.pgdump, checks it reads back (pg_restore --list),
# prints its path. pg_dump must be of the server's major version or newer.
# Restore: docs/deployment.md ("Restore").
set -euo pipefail
umask 077

die() { printf 'backup-postgres: %s\n' "$*" >&2; exit 1; }

dest=${1:-${BACKUP_DIR:-/var/backups/wennuan}}
keep=${BACKUP_KEEP:-14}
[[ $keep =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a whole number >= 1, not '$keep'"
[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set (set -a; . /etc/wennuan/wennuan.env)"
command -v pg_dump >/dev/null || die "pg_dump not found (apt-get install postgresql-client)"

# Split DATABASE_URL into a URI without the password (for --dbname) and the password (for
# PGPASSWORD), NUL-separated. The URL is read from the environment, never from argv.
{ IFS= read -r -d '' conninfo && IFS= read -r -d '' password; } < <(
  python3 -c '
import os, sys
from urllib.parse import unquote, urlsplit, urlunsplit
url = urlsplit(os.environ["DATABASE_URL"])
if url.scheme not in ("postgres", "postgresql"):
    sys.exit("backup-postgres: DATABASE_URL is not a postgres:// URL (SQLite? use backup-sqlite.sh)")
userinfo, at, hostport = url.netloc.rpartition("@")
user, _, raw_password = userinfo.partition(":")
netloc = f"{user}@{hostport}" if user else hostport
uri = urlunsplit(("postgresql", netloc, url.path, url.query, ""))
sys.stdout.write(uri + "\0" + unquote(raw_password) + "\0")
'
) || die "could not read DATABASE_URL"
if [[ -n $password ]]; then
  export PGPASSWORD=$password
fi

mkdir -p -- "$dest"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dest/wennuan-$stamp.pgdump"
partial="$final.partial"
trap 'rm -f -- "$partial"' EXIT

pg_dump --format=custom --no-password --lock-wait-timeout=300000 \
  --file="$partial" --dbname="$conninfo"
# The archive reads back: its table of contents lists the app's tables.
toc=$(pg_restore --list -- "$partial") || die "pg_restore cannot read $partial; kept nothing"
[[ $toc == *"TABLE DATA public django_migrations "* ]] \
  || die "$partial holds no django_migrations data: not Wennuan's database? kept nothing"
mv -- "$partial" "$final"
trap - EXIT

# Rotation: names sort by time; delete all but the newest $keep.
shopt -s nullglob
dumps=("$dest"/wennuan-*.pgdump)
if ((${#dumps[@]} > keep)); then
  rm -f -- "${dumps[@]:0:${#dumps[@]}-keep}"
fi

printf '%s\n' "$final"
