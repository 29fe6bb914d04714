#!/usr/bin/env bash
# Back up Wennuan's uploaded files (MEDIA_ROOT: request and inspection photos), keeping the newest N.
#
#   backup-media.sh [MEDIA_DIR [DEST_DIR]]
#
# MEDIA_DIR      default: MEDIA_ROOT, else $WENNUAN_VAR_DIR/media (WENNUAN_VAR_DIR default /var/lib/wennuan)
# BACKUP_DIR     where archives go when DEST_DIR is not given (default /var/backups/wennuan)
# BACKUP_KEEP    how many archives to keep (default 14)
#
# Run it AFTER the database backup: uploads are written before the row that names them is
# committed, so every file a database backup refers to is in the next media archive (the archive
# may hold a few newer files nobody refers to, which is harmless). Uploaded files are never
# changed in place, so a plain tar of a live directory is consistent file by file.
# Writes DEST_DIR/wennuan-media-YYYYmmddTHHMMSSZ.tar.gz and prints its path. For large photo
# stores, an rsync to another machine instead of full daily archives does the same job.
set -euo pipefail
umask 077

die() { printf 'backup-media: %s\n' "$*" >&2; exit 1; }

media=${1:-${MEDIA_ROOT:-${WENNUAN_VAR_DIR:-/var/lib/wennuan}/media}}
dest=${2:-${BACKUP_DIR:-/var/backups/wennuan}}
keep=${BACKUP_KEEP:-14}
[[ $keep =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a whole number >= 1, not '$keep'"
if [[ ! -d $media ]]; then
  # Nothing uploaded yet: Django creates MEDIA_ROOT on the first upload.
  printf 'backup-media: no directory %s yet: nothing to back up\n' "$media" >&2
  exit 0
fi

mkdir -p -- "$dest"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dest/wennuan-media-$stamp.tar.gz"
partial="$dest/.wennuan-media-$stamp.tar.gz.partial"
trap 'rm -f -- "$partial"' EXIT

tar --create --gzip --file="$partial" --directory="$media" .
tar --list --gzip --file="$partial" >/dev/null || die "the archive $partial does not read back"
mv -- "$partial" "$final"
trap - EXIT

shopt -s nullglob
archives=("$dest"/wennuan-media-*.tar.gz)
if ((${#archives[@]} > keep)); then
  rm -f -- "${archives[@]:0:${#archives[@]}-keep}"
fi

printf '%s\n' "$final"
