// Printing the extra tables of `rnnlab report`, for studies that state their results another
// way than the final metric; what they hold (per-epoch loss and time, the first eval step
// reaching a target, mean ± std over seeds) is the library's rnnlab/run_views.h.
//
//   --epochs      per group and epoch: train loss (%.5f) and epoch seconds (%.2f), mean ± std
//                 over the runs that logged the epoch.
//   --reach COND  per group: the runs that reached COND, the mean ± std step, and each run's
//                 step or "not by <last eval step>".
#pragma once

#include <string>
#include <vector>

#include "rnnlab/run_views.h"

namespace rnnlab::cli {

void print_epoch_table(const std::vector<GroupRow>& groups);

// parse_reach with its errors as "--reach expects ..." usage errors.
ReachCondition parse_reach_option(const std::string& text);
void print_reach_table(const std::vector<GroupRow>& groups, const ReachCondition& cond);

}  // namespace rnnlab::cli
