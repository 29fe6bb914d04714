#!/usr/bin/env bash
# Back up Wennuan's SQLite database with SQLite's online backup API, keeping the newest N.
#
#   backup-sqlite.sh [DB_FILE [DEST_DIR]]
#
# DB_FILE        default: the path in DATABASE_URL (sqlite:////abs/path), else
#                $WENNUAN_VAR_DIR/wennuan.sqlite3 (WENNUAN_VAR_DIR default /var/lib/wennuan)
# BACKUP_DIR     where backups go when DEST_DIR is not given (default /var/backups/wennuan)
# BACKUP_KEEP    how many backups to keep (default 14)
#
# Safe while the app runs. The database is in WAL mode (settings.py), so the copy is one read
# transaction (a consistent snapshot, committed transactions only) and writers go on meanwhile.
# Never back up with cp/rsync of the .sqlite3 file: it misses what is still in the -wal file and
# can catch a page half-written. Uses Python's sqlite3.Connection.backup (no sqlite3 CLI needed),
# as the user that owns the database (the reader needs the -shm file). The copy is switched to
# rollback-journal mode (one self-contained file), checked with PRAGMA integrity_check, gzipped.
# Writes DEST_DIR/wennuan-YYYYmmddTHHMMSSZ.sqlite3.gz and prints its path.
# Restore: docs/deployment.md ("Restore").
set -euo pipefail
umask 077

die() { printf 'backup-sqlite: %s\n' "$*" >&2; exit 1; }

db=${1:-}
if [[ -z $db ]]; then
  url=${DATABASE_URL:-}
  if [[ $url == sqlite://* ]]; then
    # As dj-database-url reads it: sqlite:////abs/path -> /abs/path.
    db=${url#sqlite://}
    db=${db#/}
  elif [[ -n $url ]]; then
    die "DATABASE_URL is not a sqlite:// URL (PostgreSQL? use backup-postgres.sh)"
  else
    db=${WENNUAN_VAR_DIR:-/var/lib/wennuan}/wennuan.sqlite3
  fi
fi
dest=${2:-${BACKUP_DIR:-/var/backups/wennuan}}
keep=${BACKUP_KEEP:-14}
[[ $keep =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a whole number >= 1, not '$keep'"
[[ -f $db ]] || die "no database at $db"
# SQLite creates the -wal and -shm files as whoever opens the database first; files left owned
# by another user (root) would stop the app from opening its own database.
[[ $(stat -c %u -- "$db") == "$(id -u)" ]] \
  || die "run this as the owner of $db (e.g. sudo -u wennuan $0), not as $(id -un)"
command -v python3 >/dev/null || die "python3 not found"

mkdir -p -- "$dest"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dest/wennuan-$stamp.sqlite3.gz"
partial="$dest/.wennuan-$stamp.sqlite3.partial"
trap 'rm -f -- "$partial" "$partial.gz"' EXIT

python3 - "$db" "$partial" <<'PY'
import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote

source_path, copy_path = sys.argv[1], sys.argv[2]
# Read-only: this script never writes to the live database. timeout: wait for a writer's
# checkpoint or WAL recovery rather than fail at once.
source = sqlite3.connect(f"file:{quote(str(Path(source_path).resolve()))}?mode=ro", uri=True, timeout=60)
copy = sqlite3.connect(copy_path)
# pages=-1 (the default): every page in one step, so one read transaction: a consistent snapshot.
source.backup(copy, pages=-1)
source.close()
copy.execute("PRAGMA journal_mode=DELETE")
result = [row[0] for row in copy.execute("PRAGMA integrity_check")]
if result != ["ok"]:
    sys.exit(f"backup-sqlite: integrity_check of the copy failed: {result[:5]}")
applied = copy.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
copy.close()
print(f"backup-sqlite: copied {Path(copy_path).stat().st_size} bytes, {applied} migrations applied", file=sys.stderr)
PY

gzip -6 -- "$partial"
mv -- "$partial.gz" "$final"
trap - EXIT

# Rotation: names sort by time; delete all but the newest $keep.
shopt -s nullglob
backups=("$dest"/wennuan-*.sqlite3.gz)
if ((${#backups[@]} > keep)); then
  rm -f -- "${backups[@]:0:${#backups[@]}-keep}"
fi

printf '%s\n' "$final"
