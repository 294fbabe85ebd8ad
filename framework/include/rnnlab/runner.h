// Runner: turns an ExperimentSpec into runs, one HDF5 file each (what `rnnlab run` does).
//
//   plan_runs      models x sweep points -> RunPlan (one resolved single-model spec each)
//   execute_run    data + model + TrainConfig -> Trainer::fit -> <out>/<experiment>/<run>/run.h5
//   run_experiment both, for every run, with callbacks for progress lines
//
// Runs and their files
//   Every model of the experiment is crossed with the cartesian product of the sweep axes that
//   concern it (an axis `model.<other>.…` is skipped for this model). A run is named after its
//   model, plus `-<sweep id>` when there is a sweep; the sweep id joins `leaf=value` for every
//   axis in the order written, separated by `_` (leaf = the key's last component, or the key
//   without its `model.<name>.` prefix when two axes share a leaf), e.g. `lstm-hidden=64_seed=2`.
//   Characters other than [A-Za-z0-9._=+-] become `_`. The file is
//   `<out>/<experiment>/<run name>/run.h5`.
//   One experiment expands to at most kMaxRuns runs (models x sweep points, counted before
//   anything is resolved): more is an InputError at the sweep axis (or model) that passes the
//   limit. Expansion is linear in the number of runs; for_each_plan resolves them one at a
//   time (what `rnnlab check` and the sweep manifest use), plan_runs keeps them all.
//
// Setting keys (sweep axes; the same syntax as `--set`): the grammar of spec_keys.h, which the
//   .rnn compiler reads too (seed | backend | data.<arg> | train.<setting> | train.optimizer
//   | train.optimizer.<arg> | optimizer.<arg> | train.<optimizer arg> | model.<m>.<arg> (model
//   m's first cell) | model.<m>.layer<k>.<arg> | model.<m>.<k>.<arg> | model.<m>.<kind>.<arg>
//   | model.<m>.train.…). A sweep axis of a model that is not in the experiment is an
//   InputError (unknown model, as `rnnlab check` says), not an axis that concerns no run.
//
// Resolution (what /config/resolved shows)
//   The run's spec keeps its one model; the model's train overrides are merged into the
//   experiment's train block (an override of steps or epochs replaces both; an override of the
//   optimizer by another name drops the experiment's optimizer arguments); every layer, data,
//   optimizer and train argument is filled with its default. Without an optimizer: adam.
//
// Model building (ModelBuilder)
//   cells come from the registry, dense/embedding/dropout from their specs. A cell returns
//   every step ([T,B,H], return_sequences) when another cell follows it anywhere later in the
//   stack, or when the dataset's targets are per step (y_value [T,B,O], e.g. fibonacci or
//   csv target every_step): then the dense layers after it apply to every step. Otherwise a
//   cell returns each sequence's last valid step [B,H]. `stateful` makes every cell carry its
//   state across batches.
//
// Run file: root attrs rnnlab_version, git_sha, experiment, model, run, sweep_id, seed,
// backend, threads, host, data, data_warnings (only when the data source repaired the data,
// e.g. interpolated a CSV's missing values), started_at, finished_at, status (+ the
// trainer's); text /config/source (the .rnn text with its includes) and /config/resolved
// (the run's spec as canonical .rnn text: describe_spec, spec_text.h, the printer dsl::print
// is). /config/values (every resolved value, typed), /dataset and /split (the train and
// held-out example indices) are written by write_run_record (experiment/run_record.h).
//
// Locking: execute_run takes the run file's RunLock (run_lock.h) and installs the SIGINT/SIGTERM
// flag before anything touches the file; a second process on the same run path gets an
// InputError naming the holder and leaves the file as it was. A stop signal during start-up
// ends the run "interrupted" without writing anything.
//
// Resume (RunOptions::resume): an existing file is reused only by the run that wrote it: its
// resolved spec, data fingerprint and cell plugins with their .so's SHA-256
// (experiment/run_identity.h) must equal this run's, else InputError listing what differs. Then a finished file is skipped, one
// with a verified checkpoint continues from it, and any other is started over (a line on
// stderr says so). Without resume, an existing file is replaced.
//
// TensorBoard (RunOptions::tensorboard or the train setting `tensorboard`): while a run trains,
// every metric row also goes to an event file in <DIR>/<experiment>/<run>/ (train/tensorboard.h:
// scalars train/*, eval/*, epoch/*; the hparams plugin's session start with /config/values,
// less train.tensorboard, and its end: success or failure). A new run file deletes the folder's
// earlier event files; a resumed one adds a file and skips the steps already there; a skipped
// (finished) run touches nothing. InputError when the folder cannot be created.
//
// Errors: InputError for a bad spec (unknown layer, bad value, loss/model mismatch found by a
// one-batch dry run before the file is created). A run that fails while training (Error) is
// recorded (status failed) and the next run starts; run_experiment stops after a run that was
// interrupted (SIGINT/SIGTERM).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"
#include "rnnlab/model.h"
#include "rnnlab/spec_text.h"
#include "rnnlab/trainer.h"

namespace rnnlab {

struct RunPlan {
  std::string experiment;  // the experiment's folder (its name, sanitized like `name`)
  std::string model;       // the model's name
  std::string sweep_id;    // "" without a sweep
  std::string name;        // model or model-sweep_id (the run's folder)
  std::string path;        // <out>/<experiment>/<name>/run.h5
  ExperimentSpec spec;     // this run only: one model, resolved (see above), no sweep
  std::vector<std::string> sweep_settings;  // "key=value" of each sweep axis applied, in order
};

// The most runs one experiment may expand to (see "Runs and their files").
inline constexpr int64_t kMaxRuns = 100000;

struct RunSummary {
  std::string name;
  std::string path;
  RunState status = RunState::finished;  // finished | interrupted | failed | skipped (already
                                         // finished)
  std::string error;   // failed: the message
  int64_t steps = 0;
  int64_t resumed_from = 0;  // > 0: continued from the checkpoint at this step
  double train_time = 0.0;   // seconds in training steps
  double wall_time = 0.0;    // seconds in fit()
  double ms_per_step = 0.0;
  double final_train_loss = 0.0;  // the last /metrics loss (mean over the last log window)
  std::optional<EvalResult> final_eval;
};

struct RunOptions {
  std::string out_dir = "results";
  std::vector<std::string> models;  // run only these models (empty: all); unknown -> InputError
  int threads = 0;                  // > 0: overrides the train block's `threads`
  bool resume = false;
  bool quiet = false;               // no progress output
  bool progress = true;             // progress bar on a TTY (lines otherwise)
  std::string git_sha = "unknown";  // recorded in every run file
  // TensorBoard event files of every run in <tensorboard>/<experiment>/<run>/ (relative to the
  // working folder); "" : the train setting `tensorboard` (relative to the .rnn file's folder),
  // else none. See "TensorBoard" above.
  std::string tensorboard;
  std::function<void(const RunPlan&, std::size_t index, std::size_t count)> on_start;
  std::function<void(const RunPlan&, const RunSummary&)> on_finish;
  std::function<void(int64_t step)> on_step;  // TrainConfig::on_step of every run (tests)
};

// ---- the steps of a run, public for tests and tools ----

// Applies one setting (see "Setting keys") to `spec`: resolve_key, then the value (seed,
// backend and the optimizer's name checked now, other values when the run is resolved).
// InputError "setting 'KEY': <the KeyError>" for a key that names nothing.
void apply_setting(ExperimentSpec& spec, const std::string& key, const ParamValue& value,
                   const Catalog& catalog);
// The run spec of `model` (a name in spec.models) resolved as described above.
ExperimentSpec resolve_run_spec(const ExperimentSpec& spec, const std::string& model,
                                const Catalog& catalog);
// TrainConfig of a resolved run spec (seed = spec.seed).
TrainConfig train_config(const ExperimentSpec& run_spec, const Catalog& catalog);
// The dataset of a spec's data block (relative paths against the .rnn file's folder).
DataSetup create_data(const ExperimentSpec& spec, const Catalog& catalog);
// InputError (located at the path argument) when the data block's `path` (relative to the .rnn
// file's folder) does not exist, or (located at the data block) when the source's own `check`
// (catalog.h) fails; what `rnnlab check` runs instead of loading the data.
void check_data_files(const ExperimentSpec& spec, const Catalog& catalog);
// Builds the model of a layer list (see "Model building").
std::unique_ptr<Model> build_model(const ModelSpec& model, const Catalog& catalog,
                                   int64_t input_size, uint64_t seed, Device device, DType dtype,
                                   bool stateful, bool per_step_targets);
// describe_spec, the canonical .rnn text of a spec (/config/resolved), is in spec_text.h.

// ---- whole experiments ----

// The number of runs plan_runs gives, without resolving any; InputError for an unknown
// --model, an empty sweep axis, or more than kMaxRuns runs (located at the sweep axis).
int64_t count_runs(const ExperimentSpec& spec, const RunOptions& options);
// The runs of plan_runs, in its order, resolved one at a time and handed to `visit`.
void for_each_plan(const ExperimentSpec& spec, const Catalog& catalog, const RunOptions& options,
                   const std::function<void(RunPlan&&)>& visit);
// for_each_plan for checking without running (`rnnlab check`): before a plan is visited its
// data files are checked (check_data_files), once per distinct data `path` argument whatever
// the sweep, so a missing file is the InputError of the first run that names it.
void for_each_checked_plan(const ExperimentSpec& spec, const Catalog& catalog,
                           const RunOptions& options, const std::function<void(RunPlan&&)>& visit);
std::vector<RunPlan> plan_runs(const ExperimentSpec& spec, const Catalog& catalog,
                               const RunOptions& options);
RunSummary execute_run(const RunPlan& plan, const Catalog& catalog, const RunOptions& options);
std::vector<RunSummary> run_experiment(const ExperimentSpec& spec, const Catalog& catalog,
                                       const RunOptions& options);

}  // namespace rnnlab
