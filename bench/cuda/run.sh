#!/usr/bin/env bash
# The GPU benchmark in one command, on a machine with an NVIDIA GPU, nvcc, CMake, ninja and
# PyTorch: builds rnnlab (Release, CUDA) and times one training step (forward + mse + backward +
# SGD, f32) of rnnlab's lstm/gru/elman/qrnn on --backend cuda against PyTorch's nn.LSTM/GRU/RNN
# on the same GPU (cuDNN), then prints the tables (ratio = rnnlab/torch: below 1 is faster).
#   1. input 128, hidden 256, batch 64, T 100: elman, lstm, gru against their torch layer, and
#      qrnn against torch's LSTM
#   2. the QRNN paper's grid: input 320, hidden 320, batch 8..128, T 32..512: rnnlab's qrnn and
#      lstm against torch's LSTM (the paper reports QRNN ≈5x faster than cuDNN LSTM at batch 8,
#      T 32 and ≈17x at batch 8, T 512, i.e. ratios ≈0.2 and ≈0.06)
#
# usage: bench/cuda/run.sh [--build DIR] [--no-build] [--tests] [--reps N] [--quick]
#   --build DIR  build tree (default: $RNNLAB_BUILD_DIR, else build-device/: git-ignored, so a
#                warm device machine keeps it between calls)
#   --no-build   use the build tree as it is
#   --tests      first run rnnlab_cuda_tests (CPU<->CUDA parity) and `rnnlab run` on cuda
#   --reps N     timed steps per benchmark (default 20, after 5 untimed)
#   --quick      the grid's corners only (batch 8 and 128, T 32 and 512)
# Libraries the GPU image lacks (Boost, TBB, HDF5, xtensor, OpenBLAS, doctest): carry
# .device-deps/debs (made here by `scripts/device_deps.sh fetch`); this script unpacks them into
# .device-deps/root and builds against that root (scripts/device_deps.sh env).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${RNNLAB_BUILD_DIR:-$repo/build-device}
do_build=1
tests=0
reps=()
quick=0
python=${PYTHON:-python3}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --tests) tests=1; shift ;;
    --reps) reps=(--reps "$2"); shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench/cuda/run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

deps=${RNNLAB_DEVICE_DEPS:-$repo/.device-deps}
if [[ -d $deps/debs && ! -d $deps/root ]]; then
  echo "unpacking $deps/debs ..." >&2
  "$repo/scripts/device_deps.sh" unpack > /dev/null
fi
RNNLAB_DEPS_CMAKE='' RNNLAB_DEPS_LD=''
if [[ -d $deps/root ]]; then eval "$("$repo/scripts/device_deps.sh" env)"; fi
# rnnlab's own programs see the carried libraries; python/torch keep the image's.
ours=(env "LD_LIBRARY_PATH=${RNNLAB_DEPS_LD}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
if [[ $do_build == 1 ]]; then
  # shellcheck disable=SC2086  # RNNLAB_DEPS_CMAKE is a list of -D arguments without spaces
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRNNLAB_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 $RNNLAB_DEPS_CMAKE > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
  cmake --build "$build" -j "$(nproc)" --target rnnlab_bench rnnlab_cuda_tests rnnlab nstep
fi
grep -q "RNNLAB_HAVE_CUDA:INTERNAL=ON\|rnnlab: CUDA parts ON" "$build.configure.log" 2> /dev/null ||
  echo "bench/cuda/run.sh: WARNING: could not confirm that CUDA was configured in $build" >&2

if [[ $tests == 1 ]]; then
  "${ours[@]}" "$build/tests/cuda/rnnlab_cuda_tests"
  "${ours[@]}" "$build/cli/rnnlab" run "$repo/experiments/digits_lstm.rnn" \
    --backend cuda --out "$build/runs" --quiet
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench() {  # bench NAME RNNLAB_CELLS TORCH_CELLS SHAPES
  local name=$1 rcells=$2 tcells=$3 shapes=$4
  echo "== $name: rnnlab ($rcells) ..." >&2
  "${ours[@]}" "$build/bench/rnnlab_bench" --backend cuda --cells "$rcells" --shapes "$shapes" \
    "${reps[@]}" --json > "$tmp/$name.rnnlab.json"
  echo "== $name: torch ($tcells) ..." >&2
  "$python" "$repo/bench/torch_bench.py" --device cuda --cells "$tcells" --shapes "$shapes" \
    "${reps[@]}" --json > "$tmp/$name.torch.json"
  "$python" "$repo/bench/report.py" "$tmp/$name.rnnlab.json" "$tmp/$name.torch.json" \
    --baseline qrnn=lstm --write "$tmp/$name.md" \
    --title "$name, $("$python" -c 'import torch; print(torch.cuda.get_device_name(), "torch", torch.__version__, "cuDNN", torch.backends.cudnn.version())')"
  cp "$tmp/$name.rnnlab.json" "$tmp/$name.torch.json" "$tmp/$name.md" "${OUT:-$tmp}/" 2> /dev/null || true
}

bench big elman,lstm,gru,qrnn elman,lstm,gru big
if [[ $quick == 1 ]]; then batches=(8 128) steps=(32 512); else batches=(8 16 32 64 128) steps=(32 64 128 256 512); fi
grid=()
for b in "${batches[@]}"; do for t in "${steps[@]}"; do grid+=("320x320x${b}x${t}"); done; done
bench qrnn_grid qrnn,lstm lstm "$(IFS=,; echo "${grid[*]}")"
