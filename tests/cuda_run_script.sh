#!/usr/bin/env bash
# The prepared GPU run (bench/cuda/run.sh) checked without a device: it parses, --dry-run lists
# every part in order with its estimate, bad options exit 2, and with --budget a part that
# would not fit is skipped and said so in summary.txt (no part starts, no build is needed).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run=$repo/bench/cuda/run.sh
fail() { echo "cuda_run_script: $*" >&2; exit 1; }

bash -n "$run" || fail "bench/cuda/run.sh does not parse"

plan=$("$run" --dry-run --tests --budget 540 --quick)
echo "$plan"
order=$(echo "$plan" | sed -n 's/^  \([a-z]*\) (~[0-9]* s): .*/\1/p' | tr '\n' ' ')
[[ $order == "build tests sanitizer experiment bench grid " ]] || fail "parts listed as '$order'"
echo "$plan" | grep -q "rnnlab_cuda_plugin_probe" || fail "the tests part does not run the plugin probe"
echo "$plan" | grep -q "compute-sanitizer --tool memcheck" || fail "no sanitizer part"
[[ $("$run" --dry-run --no-build --parts grid,tests | sed -n 's/^  \([a-z]*\) .*/\1/p' | tr '\n' ' ') == "tests grid " ]] ||
  fail "--parts does not keep the fixed order or --no-build keeps the build"

for bad in "--parts foo" "--budget 1m" "--frobnicate"; do
  rc=0
  # shellcheck disable=SC2086  # the options are words
  "$run" $bad > /dev/null 2>&1 || rc=$?
  [[ $rc == 2 ]] || fail "'$bad' exited $rc, expected 2"
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
OUT=$out "$run" --no-build --parts tests --budget 10 > /dev/null 2>&1 || fail "a run of skipped parts failed"
grep -q "^tests: skipped (needs ~90 s, 10 s left)$" "$out/summary.txt" ||
  fail "summary.txt: $(cat "$out/summary.txt")"
echo "cuda_run_script: ok"
