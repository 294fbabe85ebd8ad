#!/usr/bin/env bash
# The language-model step, rnnlab (lm_bench) against PyTorch (torch_lm_bench.py), in
# interleaved rounds (rnnlab, torch, rnnlab, torch, ...: a burst of foreign load hits both),
# then one table of the medians over the rounds of each side's per-round median.
#
# usage: bench/lm_run.sh [--build DIR] [--threads N] [--rounds N] [--reps N] [--cells a,b]
#                        [--shapes char,word]
# Environment for both sides as run.sh: OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset, the same thread count.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${RNNLAB_BUILD_DIR:-$repo/build}
threads=2 rounds=3 cells=lstm,gru shapes=char,word reps=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --reps) reps=(--reps "$2"); shift 2 ;;
    --cells) cells=$2; shift 2 ;;
    --shapes) shapes=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "lm_run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
bench=$build/bench/lm_bench
[[ -x $bench ]] || { echo "lm_run.sh: $bench not found; build it: ninja -C $build lm_bench" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
E=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE RNNLAB_THREADS="$threads")
for ((r = 1; r <= rounds; ++r)); do
  no_floor=(); [[ $r -gt 1 ]] && no_floor=(--no-floor)  # the floor once, in the first round
  "${E[@]}" "$bench" --json --threads "$threads" --cells "$cells" --shapes "$shapes" \
    "${reps[@]}" "${no_floor[@]}" > "$tmp/rnnlab.$r.json"
  "${E[@]}" /usr/bin/python3 "$here/torch_lm_bench.py" --json --threads "$threads" \
    --cells "$cells" --shapes "$shapes" "${reps[@]}" > "$tmp/torch.$r.json"
  echo "round $r of $rounds done" >&2
done
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def rows(side):
    out = {}
    for r in range(1, rounds + 1):
        for x in json.load(open(f"{tmp}/{side}.{r}.json"))["results"]:
            out.setdefault((x["shape"], x["cell"]), []).append(x)
    return out
ours, theirs = rows("rnnlab"), rows("torch")
print(f"{'shape':5s} {'cell':5s} {'path':16s} {'rnnlab ms':>10s} {'torch ms':>10s} "
      f"{'torch/rnnlab':>12s} {'floor ms':>9s} {'/floor':>7s}   (medians of {rounds} rounds)")
for key, rs in ours.items():
    m = statistics.median(x["median_ms"] for x in rs)
    t = statistics.median(x["median_ms"] for x in theirs[key])
    floor = rs[0]["floor_ms"]
    print(f"{key[0]:5s} {key[1]:5s} {rs[0]['path']:16s} {m:10.2f} {t:10.2f} {t / m:12.2f} "
          f"{floor:9.2f} {m / floor:7.2f}")
PY
