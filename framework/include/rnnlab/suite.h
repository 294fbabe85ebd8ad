// The cell suite (`rnnlab suite CELL`): one cell ranked against baselines (LSTM and GRU by
// default) on the standard sequence tasks, through the sweep machinery (sweep_executor.h: one
// run file per run, resumable, Slurm arrays), and a leaderboard read back from the run files.
//
// Tasks. A task is a shipped .rnn file (experiments/suite/<task>.rnn, its name the file's
// stem) with one model named `cell` (kSuiteModel). suite_experiment turns it into the
// experiment the suite runs: model `cell` becomes one model per compared cell, named after the
// cell, in which every recurrent layer is replaced:
//   - a plain cell layer (lstm(hidden: 128)) becomes CELL(hidden: 128): the cells are matched
//     by HIDDEN SIZE (not by parameter count; the leaderboard reports every model's
//     parameters); the layer's other arguments (the placeholder cell's) are dropped;
//   - a composite layer (nstep(cell: lstm, hidden: 64, bidirectional: true)) keeps its own
//     arguments (layers, bidirectional, ...) and hidden, and stacks CELL instead (`cell: CELL`).
// The cell's own arguments (`rnnlab suite CELL --set KEY=VALUE`) go to that cell's models only
// (a composite forwards them; one whose name the composite uses itself is written cell_KEY),
// and its train settings (`--set train.S=VALUE`) become that model's train overrides. A
// `hidden` argument given this way overrides the matching. Then a sweep axis `seed` (1..N) is
// added (last, so run names are <cell>-seed=<n> whatever N: a suite called again with more
// seeds keeps the runs it has), and the data block's relative paths are made absolute (the
// suite writes the experiment elsewhere: OUT/specs/<task>.rnn).
//
// Budgets (suite_budget_overrides): `--set`-style overrides applied to a task's file before
// the expansion (so `model.cell.hidden=...` changes the hidden size every cell gets):
//   smoke  a few steps on tiny data: seconds per task, for CI
//   quick  the files' own settings (the default): every task for one cell and two baselines
//          in about 20 minutes on 2 cores
//   paper  the papers' settings (sizes, sequence lengths, training lengths), for a cluster or
//          a GPU; the table in suite_tasks.cpp says where each value comes from
//
// The leaderboard (make_leaderboard) is computed from the run files every time, never stored:
// per task and cell the final eval metric (the run's headline: bpc, perplexity, accuracy, else
// the eval loss; run_reader.h) as mean ± std over the finished seeds, the parameter count (the
// run file's `parameters` attribute), ms per training step and wall time (means), the best
// cell marked; a run that did not finish is listed with its state and error. Then an overall
// rank: per task the cells are ranked by their mean (1 = best, ties share the mean of their
// places; a cell without a finished run on a task takes the places after the others), and the
// cells are ordered by their mean rank over the tasks.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"
#include "rnnlab/manifest.h"
#include "rnnlab/run_reader.h"
#include "rnnlab/run_state.h"

namespace rnnlab {

// The model of a task file that the suite replaces.
inline constexpr char kSuiteModel[] = "cell";

// ---- tasks and budgets ----

// smoke, quick, paper
const std::vector<std::string>& suite_budgets();

// The overrides ("key=value") `budget` applies to the task `task` (quick: none; a task the
// table does not know gets only the budget's common overrides). InputError for an unknown
// budget.
std::vector<std::string> suite_budget_overrides(const std::string& budget, const std::string& task);

struct SuiteTask {
  std::string name;  // the file's stem
  std::string file;  // absolute path
};
// The tasks of a suite folder: every DIR/*.rnn, in the suite's order (char_lm, word_lm, pos,
// copy, selective_copy, associative_recall, mnist_rows, psmnist, adding, length), any other
// file after them by name. InputError when DIR does not exist or holds no .rnn file.
std::vector<SuiteTask> suite_tasks(const std::string& dir);
// The tasks named in `names` (all when empty), in the suite's order; InputError for an unknown
// name, listing the known ones.
std::vector<SuiteTask> select_suite_tasks(const std::vector<SuiteTask>& tasks,
                                          const std::vector<std::string>& names);

// ---- the experiment of one task ----

// A compared cell and what its models get besides the matched hidden size.
struct SuiteCell {
  std::string name;
  std::map<std::string, ParamValue> args;                 // the cell's own arguments
  std::vector<std::pair<std::string, ParamValue>> train;  // train settings S (no "train.")
};

// The cells of `rnnlab suite`: `candidates` (each with `settings`, "KEY=VALUE": a cell
// argument, typed and checked by the cell's schema, or train.S, typed by its spelling and
// checked when the experiment is compiled), then `baselines` (no settings), a name given twice
// kept once. InputError for an unknown cell, a cell without a `hidden` parameter, or a bad
// setting.
std::vector<SuiteCell> suite_cells(const std::vector<std::string>& candidates,
                                   const std::vector<std::string>& settings,
                                   const std::vector<std::string>& baselines,
                                   const Catalog& catalog);

// The experiment the suite runs for `task` (compiled from the task's file with the budget's
// overrides): see "Tasks" above. `source_path` becomes the spec's source_path (relative paths
// of the result are relative to it: the data paths are made absolute against task's own
// source_path first). InputError when the task has no model `cell` or that model no recurrent
// layer (naming the file), or seeds < 1.
ExperimentSpec suite_experiment(const ExperimentSpec& task, const std::vector<SuiteCell>& cells,
                                int seeds, const Catalog& catalog, const std::string& source_path);

// ---- the leaderboard ----

// One run of the suite's manifest with what is known about it.
struct SuiteRun {
  const ManifestRecord* record = nullptr;
  int64_t seed = 0;
  std::string state;               // run_state.h: finished, failed, missing, ...
  std::string error;               // why it did not finish ("" when nobody said)
  const RunRecord* run = nullptr;  // its run file as read (nullptr: none readable)
};

struct SuiteEntry {  // one cell on one task
  std::string cell;
  std::vector<SuiteRun> runs;   // in seed order
  std::size_t finished = 0;     // runs finished with a finite metric
  Stat value;                   // final eval metric over those runs (NaN: none)
  int64_t parameters = -1;      // -1: no run file says
  Stat ms_per_step, wall_time;  // over the finished runs
  double rank = 0;              // on this task (1 = best)
  bool best = false;            // rank 1 (ties: all of them)
};

struct SuiteTaskBoard {
  std::string task;
  std::string metric;  // the finished runs' metric ("" when none finished)
  bool higher_is_better = false;
  std::vector<SuiteEntry> entries;  // in the leaderboard's cell order
};

struct SuiteOverall {
  std::string cell;
  double mean_rank = 0;    // over every task of the leaderboard
  int wins = 0;            // tasks where it is best
  int tasks_finished = 0;  // tasks with at least one finished run
};

struct Leaderboard {
  std::vector<std::string> cells;     // in the manifest's order (candidates, then baselines)
  std::vector<SuiteTaskBoard> tasks;  // in the manifest's order
  std::vector<SuiteOverall> overall;  // by mean rank, best first (ties: cell order)
};

// The leaderboard of a suite's runs: `statuses` (run_statuses of its manifest, errors filled
// in by the caller where a run left none in a file), `runs` (read_runs of its run files;
// matched to the records by path). The task is the record's experiment, the cell its model,
// the seed its `seed` override.
Leaderboard make_leaderboard(const std::vector<RunStatus>& statuses,
                             const std::vector<RunRecord>& runs);

// "lower is better" / "higher is better" for a task board's metric, "" for none.
std::string metric_direction(const SuiteTaskBoard& task);

}  // namespace rnnlab
