#!/bin/bash
# Builds the .rnn compiler with clang + libFuzzer + ASan/UBSan (outside the CMake build, which
# uses g++) and fuzzes it for SECONDS (default 60), starting from dsl/fuzz/corpus (the valid
# golden cases). Fails on a crash, a hang (-timeout), a leak or any sanitizer report.
#   dsl/fuzz/run.sh [SECONDS]      needs clang++ and libclang-rt-14-dev (Debian)
# A crash found here becomes a file in dsl/fuzz/regressions/ (replayed first on every run) and,
# where it shows a diagnostic worth keeping, a golden case in tests/dsl/cases/.
# (-fno-sanitize=vptr: the vptr check would need the typeinfo of rnnlab::Cell, i.e. the engine.)
# Only the catalog's schema code, the spec keys (spec_keys.h: the key grammar the compiler shares
# with the runner) and the spec printer (spec_text.h) are linked from the framework: the fuzz catalog is a stand-in
# (dsl/fuzz/fuzz_catalog.cpp) beside the test cells of tests/dsl/test_catalog.h.
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${RNNLAB_FUZZ_DIR:-/tmp/rnnlab-dsl-fuzz}
CXX=${CXX_FUZZ:-clang++}
mkdir -p "$OUT/obj" "$OUT/corpus"
FLAGS=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr
       -I"$ROOT/framework/include" -I"$ROOT/dsl/include" -I"$ROOT/dsl/src" -I"$ROOT/tests" -I"$ROOT/framework/src")
SOURCES=("$ROOT"/dsl/src/*.cpp "$ROOT/framework/src/plugin/cell_schema.cpp"
         "$ROOT/framework/src/plugin/cell_registry.cpp" "$ROOT/framework/src/core/describe_exception.cpp"
         "$ROOT/framework/src/experiment/spec_keys.cpp" "$ROOT/framework/src/experiment/spec_rules.cpp"
         "$ROOT/framework/src/experiment/experiment.cpp" "$ROOT/framework/src/experiment/describe_spec.cpp"
         "$ROOT/dsl/fuzz/fuzz_catalog.cpp"
         "$ROOT/dsl/fuzz/fuzz_compile.cpp")
objs=()
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(basename "$src" .cpp).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$ROOT/dsl/src" -name '*.h' -newer "$obj")" ]; then
    echo "clang++ $(basename "$src")"
    "$CXX" "${FLAGS[@]}" -c "$src" -o "$obj" &
    while [ "$(jobs -r | wc -l)" -ge 2 ]; do sleep 0.2; done
  fi
  objs+=("$obj")
done
wait
"$CXX" -fsanitize=fuzzer,address,undefined "${objs[@]}" -o "$OUT/fuzz_compile"
cp -n "$ROOT"/dsl/fuzz/corpus/*.rnn "$OUT/corpus/" 2>/dev/null || true
cd "$OUT"
# Every input that once crashed the compiler (dsl/fuzz/regressions/) runs first, once each.
echo "replaying $(ls "$ROOT"/dsl/fuzz/regressions/*.rnn | wc -l) regression inputs"
if ! "$OUT/fuzz_compile" -runs=1 "$ROOT"/dsl/fuzz/regressions/*.rnn > "$OUT/regressions.log" 2>&1; then
  tail -n 30 "$OUT/regressions.log"
  echo "fuzz_compile: a regression input fails again (see $OUT/regressions.log)" >&2
  exit 1
fi
# RNNLAB_FUZZ_SEED fixes libFuzzer's seed (CI sets it, with a fresh RNNLAB_FUZZ_DIR, so a CI
# run is repeatable); unset or 0 means a random seed and a corpus that grows across runs.
# -timeout: one input may take at most 5 s (a hang). The full log stays in $OUT/fuzz.log.
status=0
"$OUT/fuzz_compile" -max_total_time="$SECONDS_TO_RUN" -seed="${RNNLAB_FUZZ_SEED:-0}" -timeout=5 -rss_limit_mb=2048 \
  -max_len=4096 -print_final_stats=1 -dict="$ROOT/dsl/fuzz/rnn.dict" "$OUT/corpus" \
  > "$OUT/fuzz.log" 2>&1 || status=$?
grep -vE "^#[0-9]+.*(NEW|REDUCE|pulse)" "$OUT/fuzz.log" | tail -n 25
if [ "$status" -ne 0 ] || grep -qE "ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:" "$OUT/fuzz.log"; then
  echo "fuzz_compile: FAILED (exit $status; see $OUT/fuzz.log and the crash-* files in $OUT)" >&2
  exit 1
fi
echo "fuzz_compile: ok"
