#!/usr/bin/env bash
# ctest repo.no_machine_paths: the repository must not point at folders of the machine it was
# developed on (the workspace root, a notes folder beside the checkout): users have only the
# repository. The patterns are written as bracket expressions so that this file does not
# contain the very paths it looks for.
# Lists every tracked text file (git ls-files; else every file outside build folders) that
# contains such a path, and fails if there is one.
set -uo pipefail
cd "$(dirname "$0")/.."
pattern='(/w[o]rk/|\.\./sh[a]red/|sh[a]red/DESIGN\.md|sh[a]red/notes/)'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files)
else
  files=$(find . -type f -not -path './build*' -not -path './.git/*' | sed 's|^\./||')
fi
hits=$(printf '%s\n' "$files" | xargs -d '\n' grep -I -n -E "$pattern" -- 2>/dev/null || true)
if [ -n "$hits" ]; then
  echo "paths of the build machine in the repository (move what users need into the repo):"
  echo "$hits"
  exit 1
fi
echo "no build-machine paths in $(printf '%s\n' "$files" | wc -l) files"
