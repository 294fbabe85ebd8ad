// Printing the pivot tables of `rnnlab report --by KEY[,KEY...]`; the table itself (keys of a
// run, rows, columns, mean ± std per cell) is the library's make_pivot (rnnlab/run_pivot.h).
#pragma once

#include <string>
#include <vector>

#include "rnnlab/run_pivot.h"

namespace rnnlab::cli {

// "rnnlab report --by: ..." usage errors for a bad key list or a key no run has.
Pivot pivot_for_by(const std::vector<RunRecord>& runs, const std::string& by);

// The table: with one key a row per value (runs, final/best eval, train loss, ms/step); with
// several the rows and columns of the pivot, each cell "mean ± std (n)".
void print_pivot_table(const Pivot& p);
// Long form, one line per (row, column) with runs: <keys...>,runs,runs_with_eval,metric,
// final_mean,final_std,best_mean,best_std,train_loss_mean,ms_per_step_mean (full precision).
void print_pivot_csv(const Pivot& p);
// "0.9554 ± 0.0021 (4)" as shown in the table and the HTML page; "" for an empty cell.
std::string pivot_cell_text(const PivotCell& c);

}  // namespace rnnlab::cli
