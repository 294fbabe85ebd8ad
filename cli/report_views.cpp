// `rnnlab report --epochs` and `--reach COND` (see report_views.h).
#include "report_views.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>

#include "cli_common.h"
#include "report_format.h"

namespace rnnlab::cli {

namespace {

std::string pm(const Stat& s, std::size_t n, const char* f) {
  if (!std::isfinite(s.mean)) return "-";
  return n > 1 ? num(s.mean, f) + " ± " + num(s.std, f) : num(s.mean, f);
}

struct EpochStats {
  double loss = NAN;      // mean of the logged rows of the epoch
  double end_time = NAN;  // wall time of its last logged row
};

// Epoch e (1-based) -> its statistics, from a run's training-loss series.
std::map<int64_t, EpochStats> epochs_of(const Series& s) {
  std::map<int64_t, std::pair<double, int64_t>> sums;
  std::map<int64_t, EpochStats> out;
  for (std::size_t i = 0; i < s.step.size(); ++i) {
    if (!std::isfinite(s.epoch[i]) || !std::isfinite(s.value[i])) continue;
    const auto e = static_cast<int64_t>(s.epoch[i]);
    sums[e].first += s.value[i];
    sums[e].second += 1;
    out[e].end_time = s.wall_time[i];
  }
  for (auto& [e, st] : out) st.loss = sums[e].first / double(sums[e].second);
  return out;
}

}  // namespace

void print_epoch_table(const std::vector<GroupRow>& groups) {
  std::vector<std::vector<std::string>> rows{{"model", "epoch", "runs", "train loss", "epoch s"}};
  for (const auto& g : groups) {
    std::map<int64_t, std::vector<double>> losses, times;
    for (const RunRecord* r : g.runs) {
      const auto ep = epochs_of(r->train_loss);
      double prev_end = 0;
      for (const auto& [e, st] : ep) {
        losses[e].push_back(st.loss);
        times[e].push_back(st.end_time - prev_end);
        prev_end = st.end_time;
      }
    }
    for (const auto& [e, l] : losses)
      rows.push_back({g.group, std::to_string(e), std::to_string(l.size()),
                      pm(stat_of(l), l.size(), "%.5f"), pm(stat_of(times[e]), l.size(), "%.2f")});
  }
  if (rows.size() == 1) {
    std::cout << "(no epoch column in the runs' metrics)\n";
    return;
  }
  print_rows(rows);
}

bool ReachCondition::holds(double x) const {
  if (!std::isfinite(x)) return false;
  if (op == "<") return x < value;
  if (op == "<=") return x <= value;
  if (op == ">") return x > value;
  return x >= value;
}

ReachCondition parse_reach(const std::string& text) {
  const std::string expected =
      "--reach expects METRIC OP VALUE with METRIC loss|accuracy and OP < <= > >=, e.g. "
      "'loss<0.01' or 'accuracy>=0.99'; got '" + text + "'";
  ReachCondition c;
  const std::size_t op_at = text.find_first_of("<>");
  if (op_at == std::string::npos) throw UsageError(expected);
  c.metric = text.substr(0, op_at);
  const bool two = op_at + 1 < text.size() && text[op_at + 1] == '=';
  c.op = text.substr(op_at, two ? 2 : 1);
  const std::string number = text.substr(op_at + c.op.size());
  if (c.metric != "loss" && c.metric != "accuracy") throw UsageError(expected);
  try {
    std::size_t used = 0;
    c.value = std::stod(number, &used);
    if (used != number.size()) throw UsageError(expected);
  } catch (const std::logic_error&) {
    throw UsageError(expected);
  }
  return c;
}

void print_reach_table(const std::vector<GroupRow>& groups, const ReachCondition& cond) {
  const std::string label = "eval " + cond.metric + " " + cond.op + " " + num(cond.value, "%g");
  std::cout << "first evaluation step with " << label << "\n";
  std::vector<std::vector<std::string>> rows{{"model", "runs", "reached", "step", "per run"}};
  for (const auto& g : groups) {
    std::vector<double> reached;
    std::string per_run;
    for (const RunRecord* r : g.runs) {
      const Series& s = cond.metric == "loss" ? r->eval_loss : r->eval_accuracy;
      double at = NAN;
      for (std::size_t i = 0; i < s.step.size() && !std::isfinite(at); ++i)
        if (cond.holds(s.value[i])) at = s.step[i];
      if (std::isfinite(at)) reached.push_back(at);
      const double last = s.step.empty() ? 0.0 : s.step.back();
      per_run += (per_run.empty() ? "" : ", ") +
                 (std::isfinite(at) ? num(at, "%.0f") : "not by " + num(last, "%.0f"));
    }
    rows.push_back({g.group, std::to_string(g.runs.size()),
                    std::to_string(reached.size()) + "/" + std::to_string(g.runs.size()),
                    pm(stat_of(reached), reached.size(), "%.0f"), per_run});
  }
  print_rows(rows);
}

}  // namespace rnnlab::cli
