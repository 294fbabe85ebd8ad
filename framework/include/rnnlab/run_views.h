// Results of a group of runs (GroupRow, run_reader.h) stated another way than the final metric
// (behind `rnnlab report --epochs`, `--reach COND` and the curves of `--plots` / `--html`).
// Printing and drawing are the caller's.
//
// Epochs (epoch_rows): per epoch of a group, the mean training loss over the epoch's logged
//   rows and the epoch's wall time (the Keras way of reporting: "epoch 2: loss 0.0063, 41 s"),
//   each as mean ± std (Stat) over the group's runs (seeds) that logged the epoch. A logged
//   loss row is the mean over its log window (train.log_every steps), so a window that
//   straddles an epoch boundary counts toward the later epoch. The epoch time is the wall time
//   between the last logged rows of two epochs (the first epoch's from 0; evaluation at the
//   epoch end included), exact to one log window. Rows without an epoch or a loss are skipped.
//
// Curves (band_curve): the learning curve of a group, mean and sample standard deviation over
//   its runs' series row by row (Stat: std 0 for one run), up to the shortest run; the step
//   is the first run's, the wall time the mean over the runs. What `--plots` and `--html`
//   draw as a line in a ± std band.
//
// Reach (reach_of): per run of a group, the first evaluation step at which a condition such as
//   `loss<0.01` or `accuracy>=0.99` holds (metric: loss | accuracy, op: < <= > >=; NaN never
//   holds); mean ± std over the runs that reached it, and how many did. A run that did not is
//   never averaged in; its last evaluation step (0 without any) says how far it got.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rnnlab/run_reader.h"

namespace rnnlab {

struct EpochRow {
  int64_t epoch = 0;     // 1-based
  std::size_t runs = 0;  // runs that logged this epoch (the stats are over these)
  Stat train_loss;       // mean loss of the epoch's rows
  Stat seconds;          // the epoch's wall time
};
// The group's epochs in ascending order; empty when no run logged an epoch column.
std::vector<EpochRow> epoch_rows(const GroupRow& group);

struct BandCurve {
  std::vector<double> step, wall_time, mean, std;  // one entry per row
};
BandCurve band_curve(const std::vector<const Series*>& series);

struct ReachCondition {
  std::string metric;  // loss | accuracy
  std::string op;      // < <= > >=
  double value = 0;
  bool holds(double x) const;  // false for NaN / Inf
};
// Parses "loss<0.01" (no spaces); InputError "expects METRIC OP VALUE with METRIC
// loss|accuracy|bpc|perplexity and OP < <= > >=, e.g. 'loss<0.01', 'accuracy>=0.99' or
// 'bpc<2'; got 'TEXT'" otherwise
// (the caller prefixes what it read, e.g. "--reach ").
ReachCondition parse_reach(const std::string& text);

// The first step of `eval` (an eval series of a run) whose value satisfies `cond`; NaN if none.
double first_step_reaching(const Series& eval, const ReachCondition& cond);

struct ReachRun {
  double step = 0;       // first step reaching the condition; NaN: not reached
  double last_step = 0;  // the run's last eval step (0 without eval rows)
};
struct ReachRow {
  std::vector<ReachRun> runs;  // in the group's run order
  std::size_t reached = 0;     // runs that reached the condition
  Stat step;                   // over those runs
};
ReachRow reach_of(const GroupRow& group, const ReachCondition& cond);

}  // namespace rnnlab
