#!/usr/bin/env bash
# Runs rnnlab_bench and torch_bench.py one after the other (never at the same time: the
# machine has 2 cores) with the same environment, and prints one table.
#
# usage: bench/run.sh [--build DIR] [--threads N] [--reps N] [--cells a,b] [--shapes a,b]
#                     [--composed] [--write] [--no-torch]
#   --build DIR   build tree holding bench/rnnlab_bench (default: $RNNLAB_BUILD_DIR, else
#                 <repo>/build)
#   --threads N   threads for both sides (default 2): rnnlab --threads N (OpenBLAS + TBB) and
#                 RNNLAB_THREADS=N; torch.set_num_threads(N)
#   --composed    also time rnnlab with the fused kernels off (extra columns)
#   --write       also write the table as markdown to bench/results.md
#
# Environment, for both sides and for these commands only: OMP_WAIT_POLICY=PASSIVE (PyTorch's
# OpenMP threads otherwise spin while OpenBLAS works), OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset (the machines set them for tests; unset, OpenBLAS picks its native kernels). See
# /work/shared/notes/performance.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${RNNLAB_BUILD_DIR:-$repo/build}
threads=2
reps=()
cells=elman,lstm,gru
shapes=big,digits
composed=0
write=0
torch=1
python=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --reps) reps=(--reps "$2"); shift 2 ;;
    --cells) cells=$2; shift 2 ;;
    --shapes) shapes=$2; shift 2 ;;
    --composed) composed=1; shift ;;
    --write) write=1; shift ;;
    --no-torch) torch=0; shift ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

bench=$build/bench/rnnlab_bench
if [[ ! -x $bench ]]; then
  echo "run.sh: $bench not found; build it: cmake -S $repo -B $build -G Ninja && ninja -C $build rnnlab_bench" >&2
  exit 2
fi

# The machine is shared: measure how idle it is first, and say so if it is busy (a busy
# machine inflates both sides, and the ratios too, because PyTorch and rnnlab react differently).
idle_pct() {
  local a b c d e f g h t1 i1 t2 i2
  read -r _ a b c d e f g h _ < /proc/stat; t1=$((a+b+c+d+e+f+g+h)); i1=$((d+e))
  sleep 1
  read -r _ a b c d e f g h _ < /proc/stat; t2=$((a+b+c+d+e+f+g+h)); i2=$((d+e))
  echo $(( 100 * (i2 - i1) / (t2 - t1 > 0 ? t2 - t1 : 1) ))
}
idle_before=$(idle_pct)
if (( idle_before < 80 )); then
  echo "run.sh: WARNING: the machine is only ${idle_before}% idle; timings will be inflated and noisy" >&2
fi

# One environment for every command below.
run_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE
         RNNLAB_THREADS="$threads")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--cells "$cells" --shapes "$shapes" --threads "$threads" "${reps[@]}" --json)

echo "rnnlab (fused) ..." >&2
"${run_env[@]}" "$bench" "${common[@]}" > "$tmp/rnnlab.json"
args=("$tmp/rnnlab.json")
if [[ $torch == 1 ]]; then
  echo "torch $("${run_env[@]}" "$python" -c 'import torch; print(torch.__version__)') ..." >&2
  "${run_env[@]}" "$python" "$here/torch_bench.py" "${common[@]}" > "$tmp/torch.json"
  args+=("$tmp/torch.json")
else
  echo '{"results": []}' > "$tmp/torch.json"
  args+=("$tmp/torch.json")
fi
if [[ $composed == 1 ]]; then
  echo "rnnlab (composed) ..." >&2
  "${run_env[@]}" "$bench" "${common[@]}" --composed --no-floor > "$tmp/composed.json"
  args+=(--composed "$tmp/composed.json")
fi
if [[ $write == 1 ]]; then
  cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
  title="Measured $(date -u +%Y-%m-%d) on $(nproc) cores of ${cpu:-?} (${idle_before}% idle before the run), $threads threads, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; torch $("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null)."
  args+=(--write "$here/results.md" --title "$title")
fi
"$python" "$here/report.py" "${args[@]}"
echo "machine idle before the run: ${idle_before}%" >&2
