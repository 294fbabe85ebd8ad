#!/usr/bin/env bash
# `EXECUTOR=slurm experiments/reproduce.sh` on the test cluster (ctest fixture slurm_cluster):
# two studies with TINY=1 budgets are submitted as array jobs plus one report job that waits
# for both (afterany); the test waits for the report job, then checks that every run finished
# and that each study's report.txt / report.csv / report.html / plots were written from them.
#   RNNLAB (the binary) and SLURM_CONF come from ctest; the work folder is a fresh temp dir.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${RNNLAB:?set RNNLAB to the rnnlab binary}"
OUT=$(mktemp -d /tmp/rnnlab-reproduce-slurm.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

submitted=$(EXECUTOR=slurm TINY=1 THREADS=1 OUT="$OUT" RNNLAB="$RNNLAB" \
            bash "$ROOT/experiments/reproduce.sh" digits fib)
echo "$submitted"
report_job=$(echo "$submitted" | tail -n 1)
[[ "$report_job" =~ ^[0-9]+$ ]] || fail "no report job id in: $submitted"
[ -f "$OUT/sweeps/digits/manifest.tsv" ] && [ -f "$OUT/sweeps/fib/manifest.tsv" ] ||
  fail "one sweep folder per study expected"

# Wait (at most 5 minutes) until the report job has left the queue.
for _ in $(seq 1 300); do
  [ -z "$(squeue -h -j "$report_job" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$report_job" 2>/dev/null)" ] || fail "report job $report_job still queued"
[ -s "$OUT/sweeps/report.err" ] && { cat "$OUT/sweeps/report.err" >&2; }

# Every run of both studies finished (12 digits runs: 4 models x 3 seeds; fib: 2 x 3).
for s in digits fib; do
  "$RNNLAB" status "$OUT/sweeps/$s" > "$OUT/status_$s.txt" ||
    { cat "$OUT/status_$s.txt"; fail "not every $s run finished"; }
done
grep -q "^12 runs: 12 finished" "$OUT/status_digits.txt" || fail "digits: $(tail -1 "$OUT/status_digits.txt")"
grep -q "^6 runs: 6 finished" "$OUT/status_fib.txt" || fail "fib: $(tail -1 "$OUT/status_fib.txt")"

# Reports in OUT/<study dir>, made from those runs.
for d in qrnn_vs_lstm_digits nstep_fibonacci; do
  for f in report.txt report.csv report.html plots/curves_step.png; do
    [ -s "$OUT/$d/$f" ] || fail "$d/$f missing or empty"
  done
done
grep -q "^lstm .* 3 .*1,2,3" "$OUT/qrnn_vs_lstm_digits/report.txt" ||
  fail "digits report: $(cat "$OUT/qrnn_vs_lstm_digits/report.txt")"
grep -q "^layers2 .* 3 .*1,2,3" "$OUT/nstep_fibonacci/report.txt" ||
  fail "fib report: $(cat "$OUT/nstep_fibonacci/report.txt")"
grep -q "<svg\|uplot\|uPlot" "$OUT/qrnn_vs_lstm_digits/report.html" || fail "report.html has no chart"
echo "reproduce on Slurm: 2 studies, 18 runs, reports written"
