// The cell suite's leaderboard from its runs (suite.h: make_leaderboard).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "rnnlab/run_layout.h"
#include "rnnlab/suite.h"

namespace rnnlab {

namespace {

std::string normal_path(const std::string& p) {
  std::error_code ec;
  const auto c = std::filesystem::weakly_canonical(p, ec);
  return (ec ? std::filesystem::path(p) : c).lexically_normal().string();
}

// An integer from text; `fallback` when it is none.
int64_t integer_or(const std::string& text, int64_t fallback) {
  try {
    std::size_t n = 0;
    const int64_t v = std::stoll(text, &n);
    return n == text.size() ? v : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

int64_t seed_of(const ManifestRecord& r) {
  for (const auto& o : r.overrides)
    if (o.starts_with("seed=")) return integer_or(o.substr(5), 0);
  return 0;
}

int64_t parameters_of(const RunRecord& r) {
  for (const auto& [k, v] : r.attrs)
    if (k == layout::kParameters) return integer_or(v, -1);
  return -1;
}

bool counts(const SuiteRun& r) {
  return parse_run_state(r.state) == RunState::finished && r.run &&
         std::isfinite(r.run->final_metric);
}

// Ranks 1..n of `entries` on one task: valued entries by their mean (ties share the mean of
// their places), the others after them sharing the remaining places.
void rank_task(SuiteTaskBoard& t) {
  std::vector<std::size_t> valued, rest;
  for (std::size_t i = 0; i < t.entries.size(); ++i)
    (t.entries[i].finished > 0 && std::isfinite(t.entries[i].value.mean) ? valued : rest)
        .push_back(i);
  auto better = [&](std::size_t a, std::size_t b) {
    const double x = t.entries[a].value.mean, y = t.entries[b].value.mean;
    return t.higher_is_better ? x > y : x < y;
  };
  std::stable_sort(valued.begin(), valued.end(), better);
  for (std::size_t i = 0; i < valued.size();) {
    std::size_t j = i;
    while (j + 1 < valued.size() &&
           t.entries[valued[j + 1]].value.mean == t.entries[valued[i]].value.mean)
      ++j;
    const double rank = (double(i + 1) + double(j + 1)) / 2;
    for (std::size_t k = i; k <= j; ++k) {
      t.entries[valued[k]].rank = rank;
      t.entries[valued[k]].best = i == 0;
    }
    i = j + 1;
  }
  if (!rest.empty()) {
    const double rank = (double(valued.size() + 1) + double(t.entries.size())) / 2;
    for (std::size_t k : rest) t.entries[k].rank = rank;
  }
}

}  // namespace

Leaderboard make_leaderboard(const std::vector<RunStatus>& statuses,
                             const std::vector<RunRecord>& runs) {
  std::map<std::string, const RunRecord*> by_path;
  for (const auto& r : runs) by_path[normal_path(r.path)] = &r;

  Leaderboard lb;
  std::map<std::string, std::map<std::string, std::vector<SuiteRun>>> grouped;  // task, cell
  for (const RunStatus& s : statuses) {
    const ManifestRecord& rec = *s.record;
    const std::string task = rec.experiment(), cell = rec.model;
    if (std::find(lb.cells.begin(), lb.cells.end(), cell) == lb.cells.end())
      lb.cells.push_back(cell);
    if (!grouped.count(task)) lb.tasks.push_back({task, "", false, {}});
    SuiteRun run;
    run.record = &rec;
    run.seed = seed_of(rec);
    run.state = s.state;
    run.error = s.error;
    if (auto it = by_path.find(normal_path(rec.path)); it != by_path.end()) run.run = it->second;
    grouped[task][cell].push_back(run);
  }

  for (SuiteTaskBoard& t : lb.tasks) {
    auto& cells = grouped[t.task];
    // The task's metric: its finished runs' (all share the file's loss and data).
    for (const auto& [cell, rs] : cells)
      for (const auto& r : rs)
        if (t.metric.empty() && counts(r)) t.metric = r.run->metric;
    t.higher_is_better = !t.metric.empty() && higher_is_better(t.metric);
    for (const std::string& cell : lb.cells) {
      SuiteEntry e;
      e.cell = cell;
      if (auto it = cells.find(cell); it != cells.end()) e.runs = it->second;
      std::stable_sort(e.runs.begin(), e.runs.end(),
                       [](const SuiteRun& a, const SuiteRun& b) { return a.seed < b.seed; });
      std::vector<double> values, ms, wall;
      for (const SuiteRun& r : e.runs) {
        if (r.run && e.parameters < 0) e.parameters = parameters_of(*r.run);
        if (!counts(r) || r.run->metric != t.metric) continue;
        values.push_back(r.run->final_metric);
        ms.push_back(r.run->ms_per_step);
        wall.push_back(r.run->wall_time);
      }
      e.finished = values.size();
      e.value = stat_of(values);
      e.ms_per_step = stat_of(ms);
      e.wall_time = stat_of(wall);
      t.entries.push_back(std::move(e));
    }
    rank_task(t);
  }

  for (std::size_t c = 0; c < lb.cells.size(); ++c) {
    SuiteOverall o;
    o.cell = lb.cells[c];
    double sum = 0;
    for (const SuiteTaskBoard& t : lb.tasks) {
      const SuiteEntry& e = t.entries[c];
      sum += e.rank;
      o.wins += e.best;
      o.tasks_finished += e.finished > 0;
    }
    o.mean_rank = lb.tasks.empty() ? 0 : sum / double(lb.tasks.size());
    lb.overall.push_back(o);
  }
  std::stable_sort(
      lb.overall.begin(), lb.overall.end(),
      [](const SuiteOverall& a, const SuiteOverall& b) { return a.mean_rank < b.mean_rank; });
  return lb;
}

std::string metric_direction(const SuiteTaskBoard& task) {
  if (task.metric.empty()) return "";
  return task.higher_is_better ? "higher is better" : "lower is better";
}

}  // namespace rnnlab
