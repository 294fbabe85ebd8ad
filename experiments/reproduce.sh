#!/usr/bin/env bash
# Runs the five founding studies with the budgets their reports (results/<study>/README.md)
# were made with, then writes each study's table (report.txt, report.csv) and PNG plots.
#
#   experiments/reproduce.sh                 # every study (about 1.5 hours on 2 idle cores)
#   experiments/reproduce.sh digits fib      # some: digits fib temperature sentiment adding length
#
# Budgets: the studies' own settings (the .rnn files) wherever a 2-core machine runs them in
# minutes; reduced step counts (via --set, named below and in the reports) for the RWA/LSTM
# runs at T = 1000, which take hours here. `FULL=1` drops every reduction (a cluster or a GPU).
# Env: RNNLAB (the binary, default build/framework/cli/rnnlab), OUT (default results),
# THREADS (default 2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RNNLAB=${RNNLAB:-$ROOT/build/framework/cli/rnnlab}
OUT=${OUT:-results}
THREADS=${THREADS:-2}
FULL=${FULL:-0}
run_to() {  # run_to DIR FILE.rnn [options]: rnnlab run with its run files under DIR
  local dir=$1; shift
  echo "+ rnnlab run $* --out $dir" >&2
  "$RNNLAB" run --threads "$THREADS" --out "$dir" "$@"
}
run() { run_to "$OUT" "$@"; }
budget() { [ "$FULL" = 1 ] || printf -- '--set\n%s\n' "$@"; }  # reduced budgets, one per line
report() {  # report DIR [RUN PATHS...]: table, CSV and plots into DIR (default: all of DIR)
  local dir=$1; shift
  local paths=("$@"); [ ${#paths[@]} -gt 0 ] || paths=("$dir")
  "$RNNLAB" report "${paths[@]}" --plots "$dir/plots" | tee "$dir/report.txt"
  "$RNNLAB" report "${paths[@]}" --csv > "$dir/report.csv"
}

digits() {  # QRNN vs LSTM: full budget (10 000 steps, 4 models x 3 seeds)
  run experiments/qrnn_vs_lstm_digits.rnn
  report "$OUT/qrnn_vs_lstm_digits"
}

fib() {  # NStep LSTM 1 vs 2 layers: full budget; then the per-step path of the same model
  run experiments/nstep_fibonacci.rnn
  report "$OUT/nstep_fibonacci"
  # the same models through per-step LSTM layers (no fused kernel), 3 epochs: ms/step only
  run_to "$OUT/nstep_fibonacci_unfused" experiments/nstep_fibonacci.rnn --seed 1 --set train.epochs=3 \
    --set model.layers1.fused=false --set model.layers2.fused=false
  report "$OUT/nstep_fibonacci_unfused"
  "$RNNLAB" predict "$OUT/nstep_fibonacci/layers1-seed=1/run.h5" --warmup 30 --steps 120 \
    --csv "$OUT/nstep_fibonacci/closed_loop_layers1.csv" --plot "$OUT/nstep_fibonacci/plots/closed_loop_layers1.png"
  "$RNNLAB" predict "$OUT/nstep_fibonacci/layers2-seed=1/run.h5" --warmup 30 --steps 120 \
    --csv "$OUT/nstep_fibonacci/closed_loop_layers2.csv" --plot "$OUT/nstep_fibonacci/plots/closed_loop_layers2.png"
}

temperature() {  # stateless vs stateful Elman: full budget, three seeds
  run experiments/stateful_temperature.rnn
  report "$OUT/stateful_temperature"
}

sentiment() {  # Elman vs GRU vs LSTM on the synthetic IMDB proxy: full budget (10 epochs)
  run experiments/sentiment_rnn_gru_lstm.rnn
  report "$OUT/sentiment_rnn_gru_lstm"
}

adding() {  # RWA vs LSTM, adding problem: T = 100 and T = 1000 with reduced step budgets
  mapfile -t b100 < <(budget train.steps=4000)
  run experiments/rwa_adding.rnn "${b100[@]}"
  mapfile -t b1000 < <(budget train.steps=1000 data.examples=100000)
  run_to "$OUT/rwa_adding_T1000" experiments/rwa_adding.rnn --set data.steps=1000 "${b1000[@]}"
  report "$OUT/rwa_adding"
  report "$OUT/rwa_adding_T1000"
}

length() {  # RWA vs LSTM, length classification (T up to 1000): reduced step budget
  mapfile -t b < <(budget train.steps=1000 data.examples=100000)
  run experiments/rwa_length.rnn "${b[@]}"
  report "$OUT/rwa_length"
}

studies=("$@")
[ ${#studies[@]} -gt 0 ] || studies=(digits fib temperature sentiment adding length)
for s in "${studies[@]}"; do
  case "$s" in
    digits | fib | temperature | sentiment | adding | length) "$s" ;;
    *) echo "reproduce.sh: unknown study '$s' (digits fib temperature sentiment adding length)" >&2; exit 2 ;;
  esac
done
