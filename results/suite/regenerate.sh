#!/usr/bin/env bash
# Regenerates the committed cell-suite leaderboard (results/suite/README.md): the quick budget of
# `rnnlab suite` for every shipped cell (IndRNN, Elman, QRNN, RWA, SRU, minGRU, minLSTM) and the
# example MGU plugin against LSTM and GRU,
#
#   results/suite/regenerate.sh          # 2 seeds: about 35 minutes on 2 idle cores
#
# 1. builds plugins/examples/mgu out of tree, as plugins/README.md says (install this build
#    into a scratch prefix, configure the example against it),
# 2. runs `rnnlab suite mgu,indrnn,... --budget quick` into results/runs/suite-quick (run files,
#    git-ignored; a second call continues where the first stopped) and writes
#    leaderboard.{txt,csv,html} here,
# 3. screenshots the page with headless Chromium (leaderboard.png).
# Env: BUILD (default build), RNNLAB (default BUILD/cli/rnnlab), WORK (scratch, default
# /tmp/rnnlab-suite-mgu), SEEDS (default 2), OUT (default results/runs/suite-quick).
# Runs in OUT made by another build of a plugin are refused (exit 1, "written by another
# configuration" in the leaderboard): remove OUT, or give another one, to start afresh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-$ROOT/build}
RNNLAB=${RNNLAB:-$BUILD/cli/rnnlab}
WORK=${WORK:-/tmp/rnnlab-suite-mgu}
OUT=${OUT:-$ROOT/results/runs/suite-quick}
if [ ! -f "$WORK/mgu/librnnlab_plugin_mgu.so" ]; then
  cmake --install "$BUILD" --prefix "$WORK/prefix" > /dev/null
  cmake -S plugins/examples/mgu -B "$WORK/mgu" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$WORK/prefix" > /dev/null
  cmake --build "$WORK/mgu" > /dev/null
fi
"$RNNLAB" suite mgu,indrnn,elman,qrnn,rwa,sru,mingru,minlstm --plugin-path "$WORK/mgu" \
  --budget quick --seeds "${SEEDS:-2}" \
  --out "$OUT" --leaderboard-dir results/suite
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1500 \
  --screenshot="$ROOT/results/suite/leaderboard.png" "file://$ROOT/results/suite/leaderboard.html" \
  > /dev/null 2>&1
echo "results/suite: leaderboard.{txt,csv,html,png}"
