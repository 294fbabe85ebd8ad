#!/usr/bin/env bash
# ctest repo.no_machine_paths: the repository must not point at folders of the machine it was
# built on (a `shared/` folder beside the checkout, /work/...): users have only the repository.
# Lists every tracked text file (git ls-files; else every file outside build folders) that
# contains such a path, and fails if there is one.
set -uo pipefail
cd "$(dirname "$0")/.."
self=tests/no_machine_paths.sh
pattern='(/work/|\.\./shared/|shared/DESIGN\.md|shared/notes/)'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files | grep -v -x "$self")
else
  files=$(find . -type f -not -path './build*' -not -path './.git/*' | sed 's|^\./||' | grep -v -x "$self")
fi
hits=$(printf '%s\n' "$files" | xargs -d '\n' grep -I -n -E "$pattern" -- 2>/dev/null || true)
if [ -n "$hits" ]; then
  echo "paths of the build machine in the repository (move what users need into the repo):"
  echo "$hits"
  exit 1
fi
echo "no build-machine paths in $(printf '%s\n' "$files" | wc -l) files"
