#!/usr/bin/env bash
# The GPU proof and benchmark in one command, on a machine with an NVIDIA GPU, nvcc, CMake,
# ninja and PyTorch. It runs in parts, each with a time estimate; with --budget a part that
# would not fit in what is left is skipped (never started and cut), and a part that overruns
# its estimate is stopped at the budget's end and reported as timed out. Parts, in this order:
#   build       configure (Release, CUDA, sm_90) and build only what the other parts run
#   tests       rnnlab_cuda_tests (CPU <-> CUDA parity of every kernel, cell, compiled step and
#               scan) and rnnlab_cuda_plugin_probe (the plugin loader's fork probe with
#               CUDA-linked plugins after a CUDA context exists)
#   sanitizer   compute-sanitizer --tool memcheck on a subset of rnnlab_cuda_tests: the
#               kernel cases and the lstm and qrnn cell cases (skipped where compute-sanitizer
#               is not installed)
#   experiment  `rnnlab run experiments/digits_lstm.rnn --backend cuda`
#   bench       one training step (forward + mse + backward + SGD, f32) at input 128, hidden
#               256, batch 64, T 100: rnnlab's elman, lstm, gru and qrnn on --backend cuda
#               against PyTorch's nn.RNN/LSTM/GRU (cuDNN) on the same GPU (qrnn against LSTM)
#   grid        the QRNN paper's grid, input 320, hidden 320: rnnlab's qrnn and lstm against
#               torch's LSTM (the paper: QRNN ≈5x faster than cuDNN LSTM at batch 8, T 32 and
#               ≈17x at batch 8, T 512, i.e. ratios ≈0.2 and ≈0.06); --quick: its corners only
#               (batch 8 and 64, T 32 and 512)
# Every part writes <out>/<part>.log; <out>/summary.txt has one line a part (ok, failed with
# its exit status, timed out, skipped and why) and the device; the bench parts also leave
# their JSON and markdown tables there (ratio = rnnlab/torch: below 1 is faster). <out> is $OUT
# (the device tool's folder that comes back), else <build>/device-out. Exit status: 0 when
# every part that ran passed, 1 otherwise, 2 for a bad option.
#
# usage: bench/cuda/run.sh [--parts LIST | --tests] [--budget S] [--quick] [--reps N]
#                          [--build DIR] [--no-build] [--dry-run]
#   --parts LIST  the parts to run, comma-separated, in the order above whatever LIST's order
#                 (default: build,bench,grid)
#   --tests       all parts: build,tests,sanitizer,experiment,bench,grid (the prepared proof)
#   --budget S    seconds for the whole run (default: none); parts that would not fit are
#                 skipped, in order, so put what matters most first (the order above does)
#   --quick       the grid's corners only
#   --reps N      timed steps per benchmark (default 20, after 5 untimed)
#   --build DIR   build tree (default: $RNNLAB_BUILD_DIR, else build-device/: git-ignored, so a
#                 warm device machine keeps it between calls)
#   --no-build    drop the build part (use the build tree as it is)
#   --dry-run     print each selected part with its estimate and command, run nothing
# Libraries the GPU image lacks (Boost, TBB, HDF5, xtensor, OpenBLAS, doctest): carry
# .device-deps/debs (made here by `scripts/device_deps.sh fetch`); this script unpacks them into
# .device-deps/root and builds against that root (scripts/device_deps.sh env).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${RNNLAB_BUILD_DIR:-$repo/build-device}
all_parts=(build tests sanitizer experiment bench grid)
parts=build,bench,grid
no_build=0
budget=0
reps=()
quick=0
dry=0
one_part=''  # internal: run this one part (the script calls itself per part, under timeout)
python=${PYTHON:-python3}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --parts) parts=$2; shift 2 ;;
    --tests) parts=$(IFS=,; echo "${all_parts[*]}"); shift ;;
    --budget) budget=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --reps) reps=(--reps "$2"); shift 2 ;;
    --build) build=$2; shift 2 ;;
    --no-build) no_build=1; shift ;;
    --dry-run) dry=1; shift ;;
    --one-part) one_part=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench/cuda/run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ $budget =~ ^[0-9]+$ ]] || { echo "bench/cuda/run.sh: --budget wants whole seconds, got '$budget'" >&2; exit 2; }
IFS=, read -r -a wanted <<< "$parts"
for p in "${wanted[@]}"; do
  [[ " ${all_parts[*]} " == *" $p "* ]] ||
    { echo "bench/cuda/run.sh: unknown part '$p' (parts: ${all_parts[*]})" >&2; exit 2; }
done
out=${OUT:-$build/device-out}

# ---------------------------------------------------------------- the parts
# The test cases the sanitizer part runs (memcheck is slow: the kernels and two cells).
sanitizer_cases='cuda kernels:*,cuda cells: lstm*,cuda cells: qrnn f:*'
# Estimates (seconds) on one H100 machine with 16 cores; grid: the full grid or its corners.
declare -A estimate=([build]=360 [tests]=90 [sanitizer]=150 [experiment]=45 [bench]=90
                     [grid]=$([[ $quick == 1 ]] && echo 120 || echo 400))
declare -A command=(
  [build]="cmake -S <repo> -B <build> (Release, RNNLAB_CUDA=ON, sm_90) && cmake --build <build> --target rnnlab_bench rnnlab_cuda_tests rnnlab_cuda_plugin_probe rnnlab nstep"
  [tests]="<build>/tests/cuda/rnnlab_cuda_tests; <build>/tests/cuda/rnnlab_cuda_plugin_probe"
  [sanitizer]="compute-sanitizer --tool memcheck --error-exitcode 1 <build>/tests/cuda/rnnlab_cuda_tests -tc='$sanitizer_cases'"
  [experiment]="<build>/cli/rnnlab run experiments/digits_lstm.rnn --backend cuda"
  [bench]="rnnlab_bench --backend cuda (elman,lstm,gru,qrnn) vs torch_bench.py --device cuda (elman,lstm,gru) at big"
  [grid]="rnnlab_bench --backend cuda (qrnn,lstm) vs torch_bench.py --device cuda (lstm) at 320x320xBxT"
)

# The carried libraries (see the header) for rnnlab's own programs; python/torch keep the
# image's.
deps_env() {
  local deps=${RNNLAB_DEVICE_DEPS:-$repo/.device-deps}
  if [[ -d $deps/debs && ! -d $deps/root ]]; then
    echo "unpacking $deps/debs ..." >&2
    "$repo/scripts/device_deps.sh" unpack > /dev/null
  fi
  RNNLAB_DEPS_CMAKE='' RNNLAB_DEPS_LD=''
  if [[ -d $deps/root ]]; then eval "$("$repo/scripts/device_deps.sh" env)"; fi
  ours=(env "LD_LIBRARY_PATH=${RNNLAB_DEPS_LD}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
}

part_build() {
  # shellcheck disable=SC2086  # RNNLAB_DEPS_CMAKE is a list of -D arguments without spaces
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRNNLAB_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 $RNNLAB_DEPS_CMAKE
  grep -q "RNNLAB_HAVE_CUDA:INTERNAL=ON" "$build/CMakeCache.txt" ||
    { echo "bench/cuda/run.sh: CUDA was not configured in $build (see above)" >&2; return 1; }
  cmake --build "$build" -j "$(nproc)" --target rnnlab_bench rnnlab_cuda_tests \
    rnnlab_cuda_plugin_probe rnnlab nstep
}

part_tests() {
  local rc=0
  "${ours[@]}" "$build/tests/cuda/rnnlab_cuda_tests" || rc=$?
  "${ours[@]}" "$build/tests/cuda/rnnlab_cuda_plugin_probe" || rc=$?
  return "$rc"
}

part_sanitizer() {
  local cs
  cs=$(command -v compute-sanitizer || true)
  [[ -n $cs || ! -x /usr/local/cuda/bin/compute-sanitizer ]] || cs=/usr/local/cuda/bin/compute-sanitizer
  if [[ -z $cs ]]; then echo "compute-sanitizer not found"; return 3; fi
  "${ours[@]}" "$cs" --tool memcheck --error-exitcode 1 "$build/tests/cuda/rnnlab_cuda_tests" \
    -tc="$sanitizer_cases"
}

part_experiment() {
  "${ours[@]}" "$build/cli/rnnlab" run "$repo/experiments/digits_lstm.rnn" --backend cuda \
    --out "$out/runs" --quiet
  ls -l "$out/runs"
}

bench_pair() {  # bench_pair NAME RNNLAB_CELLS TORCH_CELLS SHAPES
  local name=$1 rcells=$2 tcells=$3 shapes=$4
  echo "== $name: rnnlab ($rcells) ..."
  "${ours[@]}" "$build/bench/rnnlab_bench" --backend cuda --cells "$rcells" --shapes "$shapes" \
    "${reps[@]}" --json > "$out/$name.rnnlab.json"
  echo "== $name: torch ($tcells) ..."
  "$python" "$repo/bench/torch_bench.py" --device cuda --cells "$tcells" --shapes "$shapes" \
    "${reps[@]}" --json > "$out/$name.torch.json"
  "$python" "$repo/bench/report.py" "$out/$name.rnnlab.json" "$out/$name.torch.json" \
    --baseline qrnn=lstm --write "$out/$name.md" \
    --title "$name, $("$python" -c 'import torch; print(torch.cuda.get_device_name(), "torch", torch.__version__, "cuDNN", torch.backends.cudnn.version())')"
}

part_bench() { bench_pair big elman,lstm,gru,qrnn elman,lstm,gru big; }

part_grid() {
  local batches steps grid=() b t
  if [[ $quick == 1 ]]; then batches=(8 64) steps=(32 512); else batches=(8 16 32 64 128) steps=(32 64 128 256 512); fi
  for b in "${batches[@]}"; do for t in "${steps[@]}"; do grid+=("320x320x${b}x${t}"); done; done
  bench_pair qrnn_grid qrnn,lstm lstm "$(IFS=,; echo "${grid[*]}")"
}

# ---------------------------------------------------------------- one part (internal)
if [[ -n $one_part ]]; then
  deps_env
  "part_$one_part"
  exit $?
fi

# ---------------------------------------------------------------- the run
selected=()
for p in "${all_parts[@]}"; do
  [[ ",$parts," == *",$p,"* ]] || continue
  [[ $p == build && $no_build == 1 ]] && continue
  selected+=("$p")
done

if [[ $dry == 1 ]]; then
  echo "bench/cuda/run.sh --dry-run: budget ${budget:-0} s (0: none), out $out"
  for p in "${selected[@]}"; do echo "  $p (~${estimate[$p]} s): ${command[$p]}"; done
  exit 0
fi

mkdir -p "$out"
summary=$out/summary.txt
device=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true)
{ echo "device: $device"; echo "nvcc: $(nvcc --version 2>/dev/null | tail -1 || echo none)"; } > "$summary"
start=$SECONDS
failed=0
build_failed=0
for p in "${selected[@]}"; do
  left=$(( budget > 0 ? budget - (SECONDS - start) : 0 ))
  if [[ $build_failed == 1 ]]; then
    echo "$p: skipped (the build failed)" | tee -a "$summary"; continue
  fi
  if (( budget > 0 && ${estimate[$p]} > left )); then
    echo "$p: skipped (needs ~${estimate[$p]} s, ${left} s left)" | tee -a "$summary"; continue
  fi
  echo "== $p (~${estimate[$p]} s) ..." >&2
  t0=$SECONDS
  rc=0
  args=(--one-part "$p" --build "$build" "${reps[@]}")
  [[ $quick == 1 ]] && args+=(--quick)
  if (( budget > 0 )); then
    OUT=$out timeout --kill-after=10 "$left" bash "${BASH_SOURCE[0]}" "${args[@]}" > "$out/$p.log" 2>&1 || rc=$?
  else
    OUT=$out bash "${BASH_SOURCE[0]}" "${args[@]}" > "$out/$p.log" 2>&1 || rc=$?
  fi
  took=$(( SECONDS - t0 ))
  if [[ $rc == 0 ]]; then status="ok"
  elif [[ $rc == 124 || $rc == 137 ]]; then status="timed out at the budget's end"; failed=1
  elif [[ $p == sanitizer && $rc == 3 ]]; then status="skipped (compute-sanitizer not found)"
  elif [[ $rc == 77 ]]; then status="skipped (no CUDA device: exit 77)"
  else status="failed (exit $rc)"; failed=1
  fi
  [[ $p == build && $rc != 0 ]] && build_failed=1
  echo "$p: $status in ${took} s (log: $p.log)" | tee -a "$summary"
  [[ $status == ok ]] || tail -n 40 "$out/$p.log" >&2
done
for table in big qrnn_grid; do
  if [[ -f $out/$table.md ]]; then cat "$out/$table.md"; fi
done
cat "$summary"
exit "$failed"
