// `rnnlab report --epochs` and `--reach COND` (see report_views.h).
#include "report_views.h"

#include <cmath>
#include <iostream>

#include "cli_common.h"
#include "report_format.h"

namespace rnnlab::cli {

void print_epoch_table(const std::vector<GroupRow>& groups) {
  std::vector<std::vector<std::string>> rows{{"model", "epoch", "runs", "train loss", "epoch s"}};
  for (const auto& g : groups)
    for (const EpochRow& e : epoch_rows(g))
      rows.push_back({g.group, std::to_string(e.epoch), std::to_string(e.runs),
                      pm(e.train_loss, e.runs, "%.5f"), pm(e.seconds, e.runs, "%.2f")});
  if (rows.size() == 1) {
    std::cout << "(no epoch column in the runs' metrics)\n";
    return;
  }
  print_rows(rows);
}

ReachCondition parse_reach_option(const std::string& text) {
  try {
    return parse_reach(text);
  } catch (const InputError& e) {
    throw UsageError(std::string("--reach ") + e.what());
  }
}

void print_reach_table(const std::vector<GroupRow>& groups, const ReachCondition& cond) {
  const std::string label = "eval " + cond.metric + " " + cond.op + " " + num(cond.value, "%g");
  std::cout << "first evaluation step with " << label << "\n";
  std::vector<std::vector<std::string>> rows{{"model", "runs", "reached", "step", "per run"}};
  for (const auto& g : groups) {
    const ReachRow reach = reach_of(g, cond);
    std::string per_run;
    for (const ReachRun& r : reach.runs)
      per_run +=
          (per_run.empty() ? "" : ", ") +
          (std::isfinite(r.step) ? num(r.step, "%.0f") : "not by " + num(r.last_step, "%.0f"));
    rows.push_back({g.group, std::to_string(g.runs.size()),
                    std::to_string(reach.reached) + "/" + std::to_string(g.runs.size()),
                    pm(reach.step, reach.reached, "%.0f"), per_run});
  }
  print_rows(rows);
}

}  // namespace rnnlab::cli
