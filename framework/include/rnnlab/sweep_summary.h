// The summary of a sweep that `rnnlab collect DIR` writes: one row per run of the manifest and
// one per group of runs, as DIR/summary.csv, DIR/summary_groups.csv and DIR/summary.h5
// (tables /runs and /groups, summary_file.h).
//
// Per run: its state (run_state.h, or Slurm's), steps, the nine summary metrics (run_reader.h:
// final train loss, final / best eval loss, final / best eval accuracy, final / best eval bpc
// and perplexity of a language model; only of a finished run), ms per training step and
// fit()'s wall time (of any run whose file recorded them).
// A run whose file cannot be read is counted as failed, with a warning: not HDF5, a checksum
// that fails, or one that crashes libhdf5 (summarize_sweep reads in a child process,
// isolated.h). It reads numbers only (under HDF5's checksums); the state and error text come
// from run_state, which checks them (run_state.h).
//
// Groups: (experiment, model, grid point), the grid point being the run's sweep overrides
// without the seed (grid_point, manifest.h). Per group: runs, finished and failed counts
// (failed: neither finished, missing nor running), and mean and sample std (run_reader.h) of
// each metric over its finished runs that logged it; other runs are never averaged in.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "rnnlab/run_reader.h"
#include "rnnlab/run_state.h"

namespace rnnlab {

// File and table names in a sweep folder DIR.
inline constexpr char kSummaryFile[] = "summary.h5";               // DIR/summary.h5
inline constexpr char kSummaryRunsCsv[] = "summary.csv";           // DIR/summary.csv
inline constexpr char kSummaryGroupsCsv[] = "summary_groups.csv";  // DIR/summary_groups.csv
inline constexpr char kRunsTable[] = "runs";                       // /runs: one row per run
inline constexpr char kGroupsTable[] = "groups";                   // /groups: one row per group

// The summary metrics, in column order (summary.csv: these names; summary_groups.csv:
// mean_<name>, std_<name>).
inline constexpr int kSummaryMetrics = 9;
inline constexpr const char* kSummaryMetricNames[kSummaryMetrics] = {
    "final_train_loss",   "final_eval_loss",      "final_eval_accuracy",
    "best_eval_loss",     "best_eval_accuracy",   "final_eval_bpc",
    "best_eval_bpc",      "final_eval_perplexity", "best_eval_perplexity"};
// Metric i of `m` in that order.
double summary_metric(const RunMetrics& m, int i);

struct SweepRunRow {
  RunStatus status;    // state "failed" (and error why) when its file could not be read
  RunMetrics metrics;  // NaN unless finished
  double ms_per_step = RunMetrics::kNaN, wall_s = RunMetrics::kNaN;
};

struct SweepGroupRow {
  std::string experiment, model, grid;
  int runs = 0, finished = 0, failed = 0;
  Stat metrics[kSummaryMetrics];  // over the finished runs that logged the metric
};

struct SweepSummary {
  std::vector<SweepRunRow> runs;      // in the order of the statuses given
  std::vector<SweepGroupRow> groups;  // in the order a group first appears
};

// Reads what the summary states of every run (files of finished, failed and interrupted runs;
// a file that cannot be read turns its run failed, with a warning on `warn`), then groups.
SweepSummary summarize_sweep(const std::vector<RunStatus>& statuses, std::ostream& warn);

// Writes DIR/summary.csv, DIR/summary_groups.csv and DIR/summary.h5 (replacing them).
// InputError when a CSV file cannot be written, Error for an HDF5 failure.
void write_sweep_summary(const std::string& dir, const SweepSummary& summary);

}  // namespace rnnlab
