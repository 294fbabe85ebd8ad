// `rnnlab suite`'s leaderboard as text, CSV and an HTML page (presentation only: the numbers
// are make_leaderboard's, rnnlab/suite.h).
//
//   text  a table of tasks x cells (mean ± std over the seeds, `*` marks the best cell of a
//         task), the mean rank of every cell, then per task and cell the parameters, ms per
//         step, wall time and finished runs, then every run that did not finish with its error
//   CSV   one row per task and cell (task, metric, direction, cell, seeds, finished, mean, std,
//         rank, best, parameters, ms_per_step, wall_s, errors), then one row per cell with
//         task `overall` (metric mean_rank: mean = the mean rank, rank = its place, best = 1
//         for the first place, finished = tasks with a finished run)
//   HTML  one self-contained page: both tables, and per task its table and the learning
//         curves of the eval metric (mean over the seeds with a ± std band, uPlot as in
//         `report --html`); <body data-rendered="ok"> once every chart is drawn
#pragma once

#include <string>

#include "rnnlab/suite.h"

namespace rnnlab::cli {

// What the leaderboard's header says about the suite (from OUT/suite.txt; "" when unknown).
struct SuiteInfo {
  std::string dir, budget, seeds, command;
};

std::string leaderboard_text(const Leaderboard& lb, const SuiteInfo& info);
std::string leaderboard_csv(const Leaderboard& lb);
void write_leaderboard_html(const std::string& path, const Leaderboard& lb, const SuiteInfo& info);

}  // namespace rnnlab::cli
