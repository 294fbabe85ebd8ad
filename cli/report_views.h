// Extra tables of `rnnlab report`, for studies that state their results another way than the
// final metric:
//
//   --epochs      per group and epoch: the mean training loss over the epoch's logged rows and
//                 the epoch's wall time (the Keras way of reporting: "epoch 2: loss 0.0063,
//                 41 s"). Each is mean ± std over the group's runs (seeds). A logged loss row
//                 is the mean over its log window (train.log_every steps), so a window that
//                 straddles an epoch boundary counts toward the later epoch. The epoch time is
//                 the wall time between the last logged rows of two epochs (evaluation at the
//                 epoch end included), exact to one log window.
//
//   --reach COND  per group: the first evaluation step at which COND holds, e.g.
//                 'loss<0.01' or 'accuracy>=0.99' (metric: loss | accuracy; op: < <= > >=).
//                 Mean ± std over the runs that reached it, and how many did; a run that did
//                 not is listed as "not by step N" and never averaged in.
#pragma once

#include <string>
#include <vector>

#include "rnnlab/run_reader.h"

namespace rnnlab::cli {

void print_epoch_table(const std::vector<GroupRow>& groups);

struct ReachCondition {
  std::string metric;  // loss | accuracy
  std::string op;      // < <= > >=
  double value = 0;
  bool holds(double x) const;
};
// Parses "loss<0.01"; UsageError naming the expected form otherwise.
ReachCondition parse_reach(const std::string& text);
void print_reach_table(const std::vector<GroupRow>& groups, const ReachCondition& cond);

}  // namespace rnnlab::cli
