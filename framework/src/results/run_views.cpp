// Per-epoch tables and first steps reaching a target (see rnnlab/run_views.h).
#include "rnnlab/run_views.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <utility>

#include "rnnlab/error.h"

namespace rnnlab {

namespace {

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

std::vector<EpochRow> epoch_rows(const GroupRow& group) {
  std::map<int64_t, std::vector<double>> losses, times;
  for (const RunRecord* r : group.runs) {
    double prev_end = 0;
    for (const auto& [e, st] : epochs_of(r->train_loss)) {
      losses[e].push_back(st.loss);
      times[e].push_back(st.end_time - prev_end);
      prev_end = st.end_time;
    }
  }
  std::vector<EpochRow> rows;
  for (const auto& [e, l] : losses)
    rows.push_back(EpochRow{e, l.size(), stat_of(l), stat_of(times[e])});
  return rows;
}

BandCurve band_curve(const std::vector<const Series*>& series) {
  BandCurve c;
  if (series.empty()) return c;
  std::size_t n = series.front()->step.size();
  for (const auto* s : series) n = std::min(n, s->step.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> values, walls;
    for (const auto* s : series) {
      values.push_back(s->value[i]);
      walls.push_back(s->wall_time[i]);
    }
    const Stat v = stat_of(values);
    c.step.push_back(series.front()->step[i]);
    c.wall_time.push_back(stat_of(walls).mean);
    c.mean.push_back(v.mean);
    c.std.push_back(v.std);
  }
  return c;
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
      "expects METRIC OP VALUE with METRIC loss|accuracy|bpc|perplexity and OP < <= > >=, "
      "e.g. 'loss<0.01', 'accuracy>=0.99' or 'bpc<2'; got '" +
      text + "'";
  ReachCondition c;
  const std::size_t op_at = text.find_first_of("<>");
  if (op_at == std::string::npos) throw InputError(expected);
  c.metric = text.substr(0, op_at);
  const bool two = op_at + 1 < text.size() && text[op_at + 1] == '=';
  c.op = text.substr(op_at, two ? 2 : 1);
  const std::string number = text.substr(op_at + c.op.size());
  if (c.metric != "loss" && c.metric != "accuracy" && c.metric != "bpc" &&
      c.metric != "perplexity")
    throw InputError(expected);
  std::size_t used = 0;
  try {
    c.value = std::stod(number, &used);
  } catch (const std::logic_error&) {
    throw InputError(expected);
  }
  if (used != number.size()) throw InputError(expected);
  return c;
}

double first_step_reaching(const Series& eval, const ReachCondition& cond) {
  for (std::size_t i = 0; i < eval.step.size(); ++i)
    if (cond.holds(eval.value[i])) return eval.step[i];
  return NAN;
}

ReachRow reach_of(const GroupRow& group, const ReachCondition& cond) {
  ReachRow row;
  std::vector<double> reached;
  for (const RunRecord* r : group.runs) {
    static const Series kNone;
    const Series* found = eval_series(*r, cond.metric);
    const Series& s = found ? *found : kNone;
    ReachRun run{first_step_reaching(s, cond), s.step.empty() ? 0.0 : s.step.back()};
    if (std::isfinite(run.step)) reached.push_back(run.step);
    row.runs.push_back(run);
  }
  row.reached = reached.size();
  row.step = stat_of(reached);
  return row;
}

}  // namespace rnnlab
