// Reading run files for `rnnlab report` and aggregating them per model over seeds.
//
// A group is (experiment, run name without its `seed=N` sweep component): runs of one model
// that differ only in the seed. Its eval metric is accuracy when the runs logged it, else the
// eval loss; "best" is the highest accuracy / lowest loss over the eval rows of a run. Means
// and sample standard deviations (n-1; 0 for one run) are over the group's runs.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace rnnlab::cli {

struct Series {
  std::vector<double> step, wall_time, value;
  std::vector<double> epoch;  // 1-based epoch of each row (NaN where not logged)
};

struct RunRecord {
  std::string path, experiment, model, run, group, status;
  int64_t seed = 0, steps = 0;
  double train_time = 0, wall_time = 0, ms_per_step = 0;
  double final_train_loss = 0;
  bool has_eval = false, accuracy = false;  // accuracy: the eval metric is accuracy
  double final_metric = 0, best_metric = 0;
  Series train_loss, eval_metric;
  Series eval_loss, eval_accuracy;  // both eval columns (accuracy empty for regression)
  std::vector<std::pair<std::string, std::string>> attrs;   // every root attr as text, by name
  std::vector<std::pair<std::string, std::string>> values;  // /config/values as text ({} if absent)
  std::string resolved;                                     // /config/resolved ("" if absent)
};

struct Stat {
  double mean = 0, std = 0;
};

struct GroupRow {
  std::string experiment, group, metric;  // metric: "accuracy" | "loss" | "" (no eval)
  std::vector<const RunRecord*> runs;
  std::vector<int64_t> seeds;
  int64_t finished = 0;
  Stat final_metric, best_metric, final_train_loss, wall_time, ms_per_step;
  double time_ratio = 1.0;  // ms/step relative to the fastest group
};

// Mean and sample standard deviation (n-1; 0 for one value; NaN for none).
Stat stat_of(const std::vector<double>& v);

// Run files under the given paths: a file is taken as is, a folder is searched recursively for
// *.h5. InputError if a path does not exist or nothing is found.
std::vector<std::string> find_run_files(const std::vector<std::string>& paths);
RunRecord read_run(const std::string& path);
// read_run of every run file under `paths`. A file that cannot be read (not HDF5, truncated,
// missing groups) is skipped with a warning naming it on `warn` when it was found in a folder;
// when it was given itself it is an InputError naming it. InputError also when every file
// found is unreadable.
std::vector<RunRecord> read_runs(const std::vector<std::string>& paths, std::ostream& warn);
std::vector<GroupRow> aggregate(const std::vector<RunRecord>& runs);

}  // namespace rnnlab::cli
