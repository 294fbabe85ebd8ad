#!/usr/bin/env bash
# Runs rnnlab_bench and torch_bench.py one after the other (never at the same time: the
# machine has 2 cores) with the same environment, and prints one table.
#
# usage: bench/run.sh [--build DIR] [--threads N] [--reps N] [--cells a,b] [--shapes a,b]
#                     [--composed] [--onednn] [--write] [--no-torch] [--nice N]
#   --build DIR   build tree holding bench/rnnlab_bench (default: $RNNLAB_BUILD_DIR, else
#                 <repo>/build)
#   --threads N   threads for both sides (default 2): rnnlab --threads N (OpenBLAS + TBB) and
#                 RNNLAB_THREADS=N; torch.set_num_threads(N)
#   --composed    also time rnnlab with the fused kernels off (extra columns)
#   --onednn      also time oneDNN's RNN primitives (bench/onednn_bench, built where
#                 libdnnl-dev is installed; elman, lstm, gru only): extra columns
#   --write       also write the table as markdown to bench/results.md
#   --nice N      run each side in its own session whose autogroup gets nice N, under
#                 `nice -n N` (e.g. -15; needs root): on a shared machine other jobs then disturb
#                 the timings less (with autogroup scheduling a plain `nice` only ranks
#                 processes inside one session); the same for both sides
#
# Environment, for both sides and for these commands only: OMP_WAIT_POLICY=PASSIVE (PyTorch's
# OpenMP threads otherwise spin while OpenBLAS works), OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset (the machines set them for tests; unset, OpenBLAS picks its native kernels). See
# "Machine notes" in bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${RNNLAB_BUILD_DIR:-$repo/build}
threads=2
reps=()
cells=elman,lstm,gru
shapes=big,digits
composed=0
onednn=0
write=0
torch=1
nice_prefix=()
nice_label=
python=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --reps) reps=(--reps "$2"); shift 2 ;;
    --cells) cells=$2; shift 2 ;;
    --shapes) shapes=$2; shift 2 ;;
    --composed) composed=1; shift ;;
    --onednn) onednn=1; shift ;;
    --write) write=1; shift ;;
    --no-torch) torch=0; shift ;;
    --nice)
      nice_prefix=(setsid -w bash -c 'echo "$0" > /proc/self/autogroup 2> /dev/null; exec nice -n "$0" "$@"' "$2")
      nice_label="nice $2"
      shift 2 ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

bench=$build/bench/rnnlab_bench
if [[ ! -x $bench ]]; then
  echo "run.sh: $bench not found; build it: cmake -S $repo -B $build -G Ninja && ninja -C $build rnnlab_bench" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The machine is shared: a busy machine inflates both sides, and the ratios too (rnnlab and
# PyTorch suffer differently when a thread of theirs is descheduled). So we measure how much
# CPU *other* processes used while each part ran: busy jiffies of the whole machine
# (/proc/stat) minus the CPU time of our own children (bash `times`), over cores x wall time.
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
busy_jiffies() {
  local a b c d e f g h
  read -r _ a b c d e f g h _ < /proc/stat
  echo $((a + b + c + f + g + h))  # user nice system irq softirq steal
}
children_cpu_s() {  # user + sys seconds of finished children of this shell, into $cpu_s
  times > "$tmp/times"  # not in a $(...) subshell: that would report the subshell's children
  cpu_s=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1]*60 + u[2] + s[1]*60 + s[2] }' "$tmp/times")
}
foreign=()
measured() {  # measured LABEL CMD...: runs CMD, records the other processes' share of the machine
  local label=$1 b0 c0 t0 b1 c1 t1 pct cpu_s
  shift
  children_cpu_s; c0=$cpu_s; b0=$(busy_jiffies); t0=$(date +%s.%N)
  "$@"
  b1=$(busy_jiffies); t1=$(date +%s.%N); children_cpu_s; c1=$cpu_s
  pct=$(awk -v b="$((b1 - b0))" -v hz="$hz" -v c0="$c0" -v c1="$c1" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" -v n="$ncpu" \
        'BEGIN { o = b / hz - (c1 - c0); if (o < 0) o = 0; printf "%.0f", 100 * o / (n * w) }')
  foreign+=("$label $pct%")
  if (( pct > 10 )); then
    echo "run.sh: WARNING: other processes used ${pct}% of the machine during '$label'; its timings are inflated and noisy" >&2
  fi
}

# One environment for every command below.
run_env=("${nice_prefix[@]}" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE
         RNNLAB_THREADS="$threads")

common=(--cells "$cells" --shapes "$shapes" --threads "$threads" "${reps[@]}" --json)

echo "rnnlab (fused) ..." >&2
measured rnnlab "${run_env[@]}" "$bench" "${common[@]}" > "$tmp/rnnlab.json"
args=("$tmp/rnnlab.json")
if [[ $torch == 1 ]]; then
  echo "torch $("${run_env[@]}" "$python" -c 'import torch; print(torch.__version__)') ..." >&2
  measured torch "${run_env[@]}" "$python" "$here/torch_bench.py" "${common[@]}" > "$tmp/torch.json"
  args+=("$tmp/torch.json")
else
  echo '{"results": []}' > "$tmp/torch.json"
  args+=("$tmp/torch.json")
fi
if [[ $composed == 1 ]]; then
  echo "rnnlab (composed) ..." >&2
  measured composed "${run_env[@]}" "$bench" "${common[@]}" --composed --no-floor > "$tmp/composed.json"
  args+=(--composed "$tmp/composed.json")
fi
if [[ $onednn == 1 ]]; then
  if [[ ! -x $build/bench/onednn_bench ]]; then
    echo "run.sh: $build/bench/onednn_bench not found (install libdnnl-dev, then build it)" >&2
    exit 2
  fi
  echo "oneDNN ..." >&2
  measured onednn "${run_env[@]}" "$build/bench/onednn_bench" "${common[@]}" > "$tmp/onednn.json"
  args+=(--onednn "$tmp/onednn.json")
fi
if [[ $write == 1 ]]; then
  cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
  title="Measured $(date -u +%Y-%m-%d) on $(nproc) cores of ${cpu:-?}, $threads threads, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset${nice_label:+, $nice_label}; torch $("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null); CPU used by other processes during each part: ${foreign[*]}."
  args+=(--write "$here/results.md" --title "$title")
fi
"$python" "$here/report.py" "${args[@]}"
echo "CPU used by other processes during each part: ${foreign[*]}" >&2
