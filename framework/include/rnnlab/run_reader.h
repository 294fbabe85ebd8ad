// Reading run files back and aggregating them over seeds: the one run reader behind
// `rnnlab report` (read_runs, aggregate) and `rnnlab collect` (sweep_summary.h builds on
// read_timing, read_metrics, stat_of, group_in_order, sweep_point_without_seed).
//
// Metrics of a run (names: run_layout.h). NaN rows of a column mean "not logged in that row"
// and are skipped:
//   final train loss    the last logged /metrics loss
//   final eval loss     the last logged /eval loss;     best: the lowest
//   final eval accuracy the last logged /eval accuracy; best: the highest
// NaN when the column is absent or never logged.
//
// Aggregation: mean and sample standard deviation, std = sqrt(sum (x - mean)^2 / (n - 1)),
// 0 for one value, NaN (both) for none.
//
// Groups of `report`: (experiment, model + its sweep point without the seed component), e.g.
// "lstm" + "hidden=64_seed=2" -> "lstm-hidden=64": runs that differ only in the seed. A run's eval
// metric (its headline) is bpc or perplexity for a language model, accuracy for another
// classification, else the eval loss (eval_metric_of); a group's is its runs' metric when they
// all share it, else the eval loss. "best" is the highest accuracy / lowest bpc, perplexity or
// loss over the eval rows of a run. Stats are over all of the group's runs.
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "rnnlab/run_file.h"

namespace rnnlab {

// ---- the numbers both commands state ----

// Last / best logged value of a column (NaN entries skipped); NaN when nothing was logged.
double last_logged(const std::vector<double>& column);
double best_logged(const std::vector<double>& column, bool highest);

struct RunMetrics {  // NaN = not logged (see above)
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double final_train_loss = kNaN;
  double final_eval_loss = kNaN, best_eval_loss = kNaN;
  double final_eval_accuracy = kNaN, best_eval_accuracy = kNaN;
  double final_eval_bpc = kNaN, best_eval_bpc = kNaN;  // language models: the lowest is best
  double final_eval_perplexity = kNaN, best_eval_perplexity = kNaN;
};
RunMetrics metrics_of(const std::vector<double>& train_loss, const std::vector<double>& eval_loss,
                      const std::vector<double>& eval_accuracy);
// metrics_of the file's /metrics loss, /eval loss and /eval accuracy columns, and the last /
// lowest /eval bpc and perplexity (language models).
RunMetrics read_metrics(const RunFile& f);

// Timing as the root attributes record it (a finished or interrupted run has them all; a
// failed one only steps).
struct RunTiming {
  int64_t steps = 0;                      // attr steps (0 if absent)
  double train_time = RunMetrics::kNaN;   // attr train_time, seconds
  double wall_time = RunMetrics::kNaN;    // attr wall_time, seconds
  double ms_per_step = RunMetrics::kNaN;  // ms_per_step(train_time, steps)
};
RunTiming read_timing(const RunFile& f);
// 1e3 * train_time / steps: training milliseconds per step; NaN unless steps > 0.
double ms_per_step(double train_time, int64_t steps);

// ---- aggregation ----

struct Stat {
  double mean = 0, std = 0;
};
// Mean and sample standard deviation (see above).
Stat stat_of(const std::vector<double>& v);

// Indices of `keys` grouped by equal key, groups in the order their key first appears, indices
// ascending within a group: {"a","b","a"} -> {{0,2},{1}}.
std::vector<std::vector<std::size_t>> group_in_order(const std::vector<std::string>& keys);

// A sweep point without its seed: the parts that do not start with "seed=", joined by `sep`.
// The one grouping rule of both commands, in each one's spelling:
//   report:  the run's sweep_id split at '_', sep "_"  ("hidden=64_seed=2" -> "hidden=64")
//   collect: the manifest record's overrides,  sep ";" (grid_point in manifest.h)
std::string sweep_point_without_seed(const std::vector<std::string>& parts, const std::string& sep);

// ---- `rnnlab report`: whole runs ----

struct Series {
  std::vector<double> step, wall_time, value;
  std::vector<double> epoch;  // 1-based epoch of each row (NaN where not logged)
};

// Eval metrics by name: "accuracy" is the only one where higher is better.
bool higher_is_better(const std::string& metric);

struct RunRecord;
// The eval series of `metric` ("loss", "accuracy", "bpc", "perplexity") of a run; nullptr when
// the run did not log it.
const struct Series* eval_series(const RunRecord& r, const std::string& metric);

// (A new field goes into put_record / get_record in run_reader.cpp as well: read_runs reads
// in a child process and sends every field back.)
struct RunRecord {
  std::string path, experiment, model, run, group, status;
  int64_t seed = 0, steps = 0;  // steps: attr, else the last logged step
  double train_time = 0, ms_per_step = 0;
  double wall_time = 0;  // attr, else the last logged row's wall_time
  double final_train_loss = 0;
  bool has_eval = false, accuracy = false;  // accuracy: the run logged an eval accuracy
  std::string metric;  // the eval metric: "bpc" | "perplexity" | "accuracy" | "loss"
  double final_metric = 0, best_metric = 0;
  Series train_loss, eval_metric;   // eval_metric: the series of `metric`
  Series eval_loss, eval_accuracy;  // both eval columns (accuracy empty for regression)
  std::vector<std::pair<std::string, std::string>> attrs;   // every root attr as text, by name
  std::vector<std::pair<std::string, std::string>> values;  // /config/values as text ({} if absent)
  std::string resolved;                                     // /config/resolved ("" if absent)
};

struct GroupRow {
  std::string experiment, group, metric;  // metric: a run's metric, "loss" or "" (no eval)
  std::vector<const RunRecord*> runs;
  std::vector<int64_t> seeds;
  int64_t finished = 0;
  Stat final_metric, best_metric, final_train_loss, wall_time, ms_per_step;
  double time_ratio = 1.0;  // ms/step relative to the fastest group
};

// Run files under the given paths: a file is taken as is, a folder is searched recursively for
// *.h5. InputError (its message starting with `command`) if a path does not exist or nothing
// is found.
std::vector<std::string> find_run_files(const std::vector<std::string>& paths,
                                        const std::string& command = "report");
// True for collect's DIR/summary.h5 (summary_file.h: groups /runs and /groups, no run
// attributes), which a folder of run files holds beside them; false for anything else.
bool is_sweep_summary(const std::string& path);
// InputError for an HDF5 file that is no rnnlab run file (no rnnlab_version attribute), and
// for a sealed one whose header_digest does not match (RunFile::check_header_digest).
RunRecord read_run(const std::string& path);
// read_run of every run file under `paths`, in a child process (isolated.h). A file that
// cannot be read (not HDF5, truncated, missing groups, a header_digest that does not match, or
// one that crashes libhdf5) is skipped with a warning naming it on `warn` when it was found in
// a folder; when it was given itself it is an InputError naming it. InputError also when every
// file found is unreadable. collect's summary.h5 (summary_file.h) in a folder is passed over.
std::vector<RunRecord> read_runs(const std::vector<std::string>& paths, std::ostream& warn);
// The groups of `runs` (see above), in the order they first appear; the rows point into `runs`.
std::vector<GroupRow> aggregate(const std::vector<RunRecord>& runs);

}  // namespace rnnlab
