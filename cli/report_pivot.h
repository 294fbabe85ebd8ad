// Pivot tables of `rnnlab report --by KEY[,KEY...]`: runs pooled by the resolved values of
// sweep keys, e.g. `--by hidden,cell` gives one row per hidden size and one column per cell.
//
// Keys of a run (run_keys): experiment, model, group, seed, status, backend, host; cell (the
// kind of the model's first recurrent layer, or that layer's own `cell` argument where it has
// one, as nstep(cell: lstm) does) and layers ("lstm->dense"); every resolved value as a
// dotted key like the sweep's (data.<arg>, train.<setting>, train.optimizer,
// train.optimizer.<arg>, model.<m>.<arg> for the first cell's arguments,
// model.<m>.layer<k>.<arg>) and under its last component alone where that is unambiguous
// (hidden, batch, lr, ...; the first cell's arguments win), and under its /config/values name
// (cell.hidden, optimizer.lr, layer1.units, data.source); then the sweep id's `leaf=value`
// pairs. Values come from the typed /config/values (numbers in their shortest exact form,
// bools true / false), or for files written before it existed from the /config/resolved
// text. A run without a key shows "-" for it.
//
// With one key the rows are its values; with several the rows are the combinations of all
// but the last and the columns the values of the last. Values sort as numbers when they all
// are, else as text. Each cell pools every run with those values (seeds and any other axis):
// the final eval metric as mean ± std (n runs); accuracy when every run logged it, else the
// eval loss (also for runs that have accuracy, so that one metric is compared).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "rnnlab/run_reader.h"

namespace rnnlab::cli {

std::map<std::string, std::string> run_keys(const RunRecord& r);

struct PivotCell {
  std::vector<const RunRecord*> runs;
  std::size_t with_eval = 0;  // runs that logged the eval metric (the stats are over these)
  Stat final_metric, best_metric, train_loss, ms_per_step;
};

struct Pivot {
  std::vector<std::string> keys;                 // as given to --by
  std::string metric;                            // accuracy | loss | "" (no eval at all)
  std::vector<std::vector<std::string>> rows;    // values of keys[0..n-2] (all keys if n == 1)
  std::vector<std::string> cols;                 // values of the last key; {""} for one key
  std::map<std::pair<std::size_t, std::size_t>, PivotCell> cells;  // (row, col) -> runs
};

// "hidden,cell" -> {"hidden", "cell"}; UsageError for an empty key.
std::vector<std::string> parse_by(const std::string& text);
// UsageError (exit 2) naming the keys the runs have when a key is found in none of them.
Pivot make_pivot(const std::vector<RunRecord>& runs, const std::vector<std::string>& keys);

void print_pivot_table(const Pivot& p);
// Long form, one line per (row, column) with runs: <keys...>,runs,runs_with_eval,metric,
// final_mean,final_std,best_mean,best_std,train_loss_mean,ms_per_step_mean (full precision).
void print_pivot_csv(const Pivot& p);
// "0.9554 ± 0.0021 (4)" as shown in the table and the HTML page; "" for an empty cell.
std::string pivot_cell_text(const PivotCell& c);

}  // namespace rnnlab::cli
