// `rnnlab report --by KEYS`: the pivot table (rnnlab/run_pivot.h) as text or CSV.
#include "report_pivot.h"

#include <iostream>

#include "cli_common.h"
#include "report_format.h"

namespace rnnlab::cli {

Pivot pivot_for_by(const std::vector<RunRecord>& runs, const std::string& by) {
  try {
    return make_pivot(runs, parse_pivot_keys(by));
  } catch (const InputError& e) {
    throw UsageError(std::string("rnnlab report --by: ") + e.what());
  }
}

std::string pivot_cell_text(const PivotCell& c) {
  if (c.runs.empty()) return "";
  return pm(c.final_metric, c.with_eval) + " (" + std::to_string(c.runs.size()) + ")";
}

void print_pivot_table(const Pivot& p) {
  const std::string metric = p.metric.empty() ? "no eval metric" : "final eval " + p.metric;
  std::vector<std::vector<std::string>> rows;
  if (p.keys.size() == 1) {
    std::cout << metric << " by " << p.keys[0] << ", mean ± std over the runs (n)\n";
    rows.push_back({p.keys[0], "runs", "final eval", "best eval", "train loss", "ms/step"});
    for (std::size_t r = 0; r < p.rows.size(); ++r) {
      const PivotCell& c = p.cells.at({r, 0});
      rows.push_back({p.rows[r][0], std::to_string(c.runs.size()), pm(c.final_metric, c.with_eval),
                      pm(c.best_metric, c.with_eval), num(c.train_loss.mean, "%.4g"),
                      num(c.ms_per_step.mean, "%.3f")});
    }
  } else {
    std::string row_keys;
    for (std::size_t k = 0; k + 1 < p.keys.size(); ++k) row_keys += (k ? ", " : "") + p.keys[k];
    std::cout << metric << ": rows " << row_keys << ", columns " << p.keys.back()
              << "; mean ± std over the runs (n)\n";
    std::vector<std::string> head(p.keys.begin(), p.keys.end() - 1);
    head.back() += " \\ " + p.keys.back();
    for (const auto& c : p.cols) head.push_back(c);
    rows.push_back(head);
    for (std::size_t r = 0; r < p.rows.size(); ++r) {
      std::vector<std::string> line = p.rows[r];
      for (std::size_t c = 0; c < p.cols.size(); ++c) {
        auto it = p.cells.find({r, c});
        line.push_back(it == p.cells.end() ? "" : pivot_cell_text(it->second));
      }
      rows.push_back(line);
    }
  }
  print_rows(rows);
}

void print_pivot_csv(const Pivot& p) {
  for (const auto& k : p.keys) std::cout << k << ",";
  std::cout << "runs,runs_with_eval,metric,final_mean,final_std,best_mean,best_std,"
               "train_loss_mean,ms_per_step_mean\n";
  for (const auto& [key, c] : p.cells) {
    for (const auto& v : p.rows[key.first]) std::cout << v << ",";
    if (p.keys.size() > 1) std::cout << p.cols[key.second] << ",";
    std::cout << c.runs.size() << "," << c.with_eval << "," << p.metric << ","
              << full(c.final_metric.mean) << "," << full(c.final_metric.std) << ","
              << full(c.best_metric.mean) << "," << full(c.best_metric.std) << ","
              << full(c.train_loss.mean) << "," << full(c.ms_per_step.mean) << "\n";
  }
}

}  // namespace rnnlab::cli
