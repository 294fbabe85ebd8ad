#!/usr/bin/env bash
# Runs the five founding studies and the shipped cells' paper claims with the budgets their reports (results/<study>/README.md)
# were made with, then writes each study's table (report.txt, report.csv) and PNG plots.
#
#   experiments/reproduce.sh                 # every study (about 2.5 hours on 2 idle cores)
#   experiments/reproduce.sh digits fib      # some: digits fib temperature sentiment adding
#                                            # adding_t1000 length, and the shipped cells' paper
#                                            # claims indrnn_adding indrnn_mnist minrnn_copy
#                                            # char_lm_cells qrnn_word_lm
#
# Budgets: the studies' own settings (the .rnn files) wherever a 2-core machine runs them in
# minutes. The RWA/LSTM runs are reduced (via --set, named below and in the reports): a step
# of hidden 250 at T = 1000 costs ~150 GFLOP (2-3 s here), so 20 000 steps would take days;
# adding T = 100 runs hidden 250 for 1500 steps; the T = 1000 tasks run hidden 64: adding
# (`adding_t1000`) for 2500 steps, length for 1000.
# `FULL=1` drops every reduction (a cluster or a GPU).
# Env: RNNLAB (the binary, default build/cli/rnnlab), OUT (default results),
# THREADS (default 2).
#
# On a Slurm cluster, in one command:
#   EXECUTOR=slurm experiments/reproduce.sh [studies]
# submits each study's runs as one array job (`rnnlab sweep --executor slurm`, run files under
# OUT/sweeps/<study>/) and one report job that starts when every array has ended (afterany)
# and writes each study's report.txt, report.csv, report.html and plots into OUT/<study dir>/.
# The timing repetitions and closed-loop forecasts of the local mode are not part of it (they
# need one quiet machine). THREADS is the --cpus-per-task of every task; SBATCH_ARGS adds
# `rnnlab sweep` options for every array (e.g. "--partition=cpu --time=02:00:00");
# TINY=1 replaces every budget by a few steps (the tests use it).
set -euo pipefail
ALL="digits fib temperature sentiment adding adding_t1000 length indrnn_adding indrnn_mnist minrnn_copy char_lm_cells qrnn_word_lm"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RNNLAB=${RNNLAB:-$ROOT/build/cli/rnnlab}
OUT=${OUT:-results}
THREADS=${THREADS:-2}
FULL=${FULL:-0}
run_to() {  # run_to DIR FILE.rnn [options]: rnnlab run with its run files under DIR
  local dir=$1
  shift
  echo "+ rnnlab run $* --out $dir" >&2
  "$RNNLAB" run --threads "$THREADS" --out "$dir" "$@"
}
run() { run_to "$OUT" "$@"; }
TINY=${TINY:-0}
EXECUTOR=${EXECUTOR:-local}
budget() {  # reduced budgets, one word per line (none with FULL=1; a few steps with TINY=1)
  if [ "$TINY" = 1 ]; then
    printf -- '--set\n%s\n' train.steps=6 train.eval_every=3 train.log_every=2
    for a in "$@"; do case "$a" in model.*) printf -- '--set\n%s\n' "$a" ;; esac; done
  elif [ "$FULL" != 1 ] && [ $# -gt 0 ]; then
    printf -- '--set\n%s\n' "$@"
  fi
}
tiny() { [ "$TINY" != 1 ] || printf -- '--set\n%s\n' "$@"; }  # TINY=1 only: small data
# study_run STUDY: the study's main run, one word per line: its report folder (under OUT),
# its .rnn file, then its options. The one home of every study's file and budget.
study_run() {
  case "$1" in
    digits) printf '%s\n' qrnn_vs_lstm_digits experiments/qrnn_vs_lstm_digits.rnn; budget ;;
    fib) printf '%s\n' nstep_fibonacci experiments/nstep_fibonacci.rnn; budget ;;
    temperature) printf '%s\n' stateful_temperature experiments/stateful_temperature.rnn; budget ;;
    sentiment) printf '%s\n' sentiment_rnn_gru_lstm experiments/sentiment_rnn_gru_lstm.rnn
               budget; tiny data.examples=300 ;;
    adding) printf '%s\n' rwa_adding experiments/rwa_adding.rnn; budget train.steps=1500
            tiny data.examples=300 ;;
    adding_t1000) printf '%s\n' rwa_adding_T1000 experiments/rwa_adding.rnn --set data.steps=1000
                  budget train.steps=2500 data.examples=250000 model.rwa.hidden=64 model.lstm.hidden=64
                  tiny data.examples=300 ;;
    length) printf '%s\n' rwa_length experiments/rwa_length.rnn
            budget train.steps=1000 data.examples=100000 model.rwa.hidden=64 model.lstm.hidden=64
            tiny data.examples=300 ;;
    # The shipped cells' paper claims (results/<study>/README.md): budgets in the .rnn files.
    indrnn_adding) printf '%s\n' indrnn_adding experiments/indrnn_adding.rnn; budget
                   tiny data.examples=300 ;;
    indrnn_mnist) printf '%s\n' indrnn_seq_mnist experiments/indrnn_seq_mnist.rnn; budget
                  tiny data.test_fraction=0.002 ;;
    minrnn_copy) printf '%s\n' minrnn_selective_copy experiments/minrnn_selective_copy.rnn; budget
                 tiny data.examples=300 ;;
    char_lm_cells) printf '%s\n' char_lm_cells experiments/char_lm_cells.rnn; budget
                   tiny data.valid_fraction=0.002 data.test_fraction=0.002 ;;
    qrnn_word_lm) printf '%s\n' qrnn_word_lm experiments/qrnn_word_lm.rnn; budget
                  tiny data.valid_fraction=0.002 data.test_fraction=0.002 ;;
    *) echo "reproduce.sh: unknown study '$1' ($ALL)" >&2
       exit 2 ;;
  esac
}
main_run() {  # main_run STUDY: the study's runs into OUT (the local mode)
  local a
  mapfile -t a < <(study_run "$1")
  if [ "${a[0]}" = rwa_adding_T1000 ]; then run_to "$OUT/${a[0]}" "${a[@]:1}"; else run "${a[@]:1}"; fi
}
report() {  # report DIR [RUN PATHS...]: table, CSV and plots into DIR (default: all of DIR)
  local dir=$1; shift
  local paths=("$@"); [ ${#paths[@]} -gt 0 ] || paths=("$dir")
  "$RNNLAB" report "${paths[@]}" --plots "$dir/plots" | tee "$dir/report.txt"
  "$RNNLAB" report "${paths[@]}" --csv > "$dir/report.csv"
}

digits() {  # QRNN vs LSTM: full budget (10 000 steps, 4 models x 3 seeds)
  main_run digits
  report "$OUT/qrnn_vs_lstm_digits"
  # speed: 3 interleaved repetitions of 3000 steps per model, one thread
  local timing="$OUT/qrnn_vs_lstm_digits_timing"
  rm -rf "$timing"
  for r in 1 2 3; do
    for m in lstm qrnn_fo qrnn_f qrnn_ifo; do
      "$RNNLAB" run experiments/qrnn_vs_lstm_digits.rnn --seed 1 -m "$m" --set train.steps=3000 \
        --set train.eval_every=0 --threads 1 -q --out "$timing/rep$r"
    done
  done
  "$RNNLAB" report "$timing" | tee "$OUT/qrnn_vs_lstm_digits/timing.txt"
}

fib() {  # NStep LSTM 1 vs 2 layers: full budget (3 seeds); fused vs per-step path; closed loop
  main_run fib
  report "$OUT/nstep_fibonacci"
  # fused NStep path vs per-step LSTM layers: same models, 3 epochs each, back to back, 1 thread
  local paths="$OUT/nstep_fibonacci_paths"
  rm -rf "$paths"
  for path in fused per_step fused_again; do
    local opts=(--seed 1 --set train.epochs=3)
    [ "$path" = per_step ] && opts+=(--set model.layers1.fused=false --set model.layers2.fused=false)
    THREADS=1 run_to "$paths/$path" experiments/nstep_fibonacci.rnn "${opts[@]}"
    "$RNNLAB" report "$paths/$path" | tee "$paths/$path.txt"
  done
  # closed loop: 30 true held-out values, then 120 predictions fed back (every seed; plots of seed 1)
  for s in 1 2 3; do
    for m in layers1 layers2; do
      local plot=()
      [ "$s" = 1 ] && plot=(--plot "$OUT/nstep_fibonacci/plots/closed_loop_$m.png")
      "$RNNLAB" predict "$OUT/nstep_fibonacci/$m-seed=$s/run.h5" --warmup 30 --steps 120 \
        --csv "$OUT/nstep_fibonacci/closed_loop_$m-seed=$s.csv" "${plot[@]}"
    done
  done | tee "$OUT/nstep_fibonacci/closed_loop.txt"
}

temperature() {  # stateless vs stateful Elman: full budget, three seeds
  main_run temperature
  report "$OUT/stateful_temperature"
  "$RNNLAB" report "$OUT/stateful_temperature" --epochs | tee "$OUT/stateful_temperature/epochs.txt"
  # speed: an epoch here is ~0.07 s, too short to time; 5 interleaved repetitions of 30 epochs
  local timing="$OUT/stateful_temperature_timing"
  rm -rf "$timing"
  for r in 1 2 3 4 5; do
    for m in stateless stateful; do
      "$RNNLAB" run experiments/stateful_temperature.rnn --seed 1 -m "$m" --set train.epochs=30 \
        --threads 1 -q --out "$timing/rep$r"
    done
  done
  "$RNNLAB" report "$timing" | tee "$OUT/stateful_temperature/timing.txt"
}

sentiment() {  # Elman vs GRU vs LSTM on the synthetic IMDB proxy: full budget (10 epochs)
  main_run sentiment
  report "$OUT/sentiment_rnn_gru_lstm"
  # speed: 3 interleaved repetitions of 100 steps per model, one thread
  local timing="$OUT/sentiment_rnn_gru_lstm_timing"
  rm -rf "$timing"
  for r in 1 2 3; do
    for m in elman gru lstm; do
      "$RNNLAB" run experiments/sentiment_rnn_gru_lstm.rnn --seed 1 -m "$m" --set train.steps=100 \
        --set train.eval_every=0 --threads 1 -q --out "$timing/rep$r"
    done
  done
  "$RNNLAB" report "$timing" | tee "$OUT/sentiment_rnn_gru_lstm/timing.txt"
}

adding() {  # RWA vs LSTM, adding problem at T = 100: hidden 250, 1500 steps (of the study's 20 000)
  main_run adding
  report "$OUT/rwa_adding"
  "$RNNLAB" report "$OUT/rwa_adding" --reach 'loss<0.01' | tail -n 4 | tee "$OUT/rwa_adding/reach.txt"
}

adding_t1000() {  # the same at T = 1000, hidden 64, 2500 steps (of 20 000)
  main_run adding_t1000
  report "$OUT/rwa_adding_T1000"
  "$RNNLAB" report "$OUT/rwa_adding_T1000" --reach 'loss<0.01' | tail -n 4 | tee "$OUT/rwa_adding_T1000/reach.txt"
}

indrnn_adding() {  # IndRNN vs LSTM, adding at T = 1000: IndRNN 3000 steps, LSTM 1000 (~0.5 s/step)
  local a b
  mapfile -t a < <(study_run indrnn_adding)
  mapfile -t b < <(budget train.steps=1000)
  run "${a[@]:1}" -m indrnn
  run "${a[@]:1}" -m lstm "${b[@]}"
  report "$OUT/indrnn_adding"
  "$RNNLAB" report "$OUT/indrnn_adding" --reach 'loss<0.01' | tail -n 4 | tee "$OUT/indrnn_adding/reach.txt"
}

indrnn_mnist() {  # IndRNN vs LSTM, pixel MNIST (T = 784): one layer each, 1500 steps
  main_run indrnn_mnist
  report "$OUT/indrnn_seq_mnist"
}

minrnn_copy() {  # minGRU/minLSTM (3 layers) vs LSTM, selective copying
  main_run minrnn_copy
  report "$OUT/minrnn_selective_copy"
}

char_lm_cells() {  # LSTM vs SRU, minGRU, minLSTM (2 layers), Brown characters, hidden 256
  main_run char_lm_cells
  report "$OUT/char_lm_cells"
  timing char_lm_cells 100 lstm sru mingru minlstm
}

qrnn_word_lm() {  # QRNN vs LSTM (2 layers of 256), Brown words
  main_run qrnn_word_lm
  report "$OUT/qrnn_word_lm"
  timing qrnn_word_lm 60 lstm qrnn
}

# timing STUDY STEPS MODELS...: ms/step on a quiet machine, 3 interleaved repetitions of STEPS
# training steps per model, one thread, no evaluation -> OUT/STUDY/timing.txt
timing() {
  local study=$1 steps=$2 r m
  shift 2
  local dir="$OUT/${study}_timing"
  rm -rf "$dir"
  for r in 1 2 3; do
    for m in "$@"; do
      "$RNNLAB" run "experiments/$study.rnn" --seed 1 -m "$m" --set train.steps="$steps" \
        --set train.eval_every=0 --threads 1 -q --out "$dir/rep$r" $(tiny_steps)
    done
  done
  "$RNNLAB" report "$dir" | tee "$OUT/$study/timing.txt"
}
tiny_steps() { [ "$TINY" != 1 ] || echo "--set train.steps=2 --set data.valid_fraction=0.002 --set data.test_fraction=0.002"; }

length() {  # RWA vs LSTM, length classification (T up to 1000): hidden 64, reduced steps
  main_run length
  report "$OUT/rwa_length"
  "$RNNLAB" report "$OUT/rwa_length" --reach 'accuracy>=0.99' | tail -n 4 | tee "$OUT/rwa_length/reach.txt"
}

submit_slurm() {  # EXECUTOR=slurm: one array per study, then one report job after all of them
  local ids=() script="$OUT/sweeps/report.sbatch" s a extra
  read -r -a extra <<< "${SBATCH_ARGS:-}"
  mkdir -p "$OUT/sweeps"
  {
    echo "#!/bin/bash"
    echo "# experiments/reproduce.sh: the reports of every study submitted with it"
    echo "#SBATCH --job-name=rnnlab-reports"
    echo "#SBATCH --output=$OUT/sweeps/report.out"
    echo "#SBATCH --error=$OUT/sweeps/report.err"
    echo "set -eu"
  } > "$script"
  for s in "$@"; do
    mapfile -t a < <(study_run "$s")
    echo "+ rnnlab sweep ${a[*]:1} --executor slurm --out $OUT/sweeps/$s" >&2
    ids+=("$("$RNNLAB" sweep "${a[@]:1}" --executor slurm --out "$OUT/sweeps/$s" --no-collect \
             --cpus-per-task "$THREADS" --job-name "rnnlab-$s" "${extra[@]}" | tail -n 1)")
    local dest="$OUT/${a[0]}"
    {
      printf 'mkdir -p %q\n' "$dest/plots"
      printf '%q report %q --plots %q > %q\n' "$RNNLAB" "$OUT/sweeps/$s" "$dest/plots" "$dest/report.txt"
      printf '%q report %q --csv > %q\n' "$RNNLAB" "$OUT/sweeps/$s" "$dest/report.csv"
      printf '%q report %q --html %q\n' "$RNNLAB" "$OUT/sweeps/$s" "$dest/report.html"
    } >> "$script"
  done
  local dep
  dep=$(IFS=:; echo "${ids[*]}")
  local report_id
  report_id=$(sbatch --parsable --dependency="afterany:$dep" "$script")
  echo "submitted ${#ids[@]} study arrays (${ids[*]}) and report job $report_id (afterany)"
  echo "$report_id"
}

studies=("$@")
[ ${#studies[@]} -gt 0 ] || read -r -a studies <<< "$ALL"
if [ "$EXECUTOR" = slurm ]; then
  for s in "${studies[@]}"; do study_run "$s" > /dev/null; done  # unknown names: exit 2 first
  submit_slurm "${studies[@]}"
  exit 0
fi
for s in "${studies[@]}"; do
  case "$s" in
    digits | fib | temperature | sentiment | adding | adding_t1000 | length | indrnn_adding | \
    indrnn_mnist | minrnn_copy | char_lm_cells | qrnn_word_lm) "$s" ;;
    *) echo "reproduce.sh: unknown study '$s' ($ALL)" >&2; exit 2 ;;
  esac
done
