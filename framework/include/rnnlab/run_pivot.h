// Pivot tables of runs over sweep keys (behind `rnnlab report --by KEY[,KEY...]`): runs pooled
// by the resolved values of some keys, e.g. {"hidden", "cell"} gives one row per hidden size
// and one column per cell. Printing the table (text, CSV, HTML) is the caller's.
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
// text (canonical .rnn, read by a small tokenizer: the library cannot call the DSL). A run
// without a key has the value "-" for it.
//
// With one key the rows are its values; with several the rows are the combinations of all
// but the last and the columns the values of the last. Values sort as numbers when they all
// are, else as text. Each cell pools every run with those values (seeds and any other axis):
// the final and best eval metric, the final train loss and ms/step as mean ± std (Stat,
// run_reader.h) over its runs; the eval metric is the runs' metric (bpc, perplexity, accuracy)
// when every run has the same, else the eval loss (so that one metric is compared), and its stats
// are over the runs that logged it (`with_eval` of them).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "rnnlab/run_reader.h"

namespace rnnlab {

// Every key of a run with its value as text (see above).
std::map<std::string, std::string> run_keys(const RunRecord& r);

struct PivotCell {
  std::vector<const RunRecord*> runs;
  std::size_t with_eval = 0;  // runs that logged the eval metric (the stats are over these)
  Stat final_metric, best_metric, train_loss, ms_per_step;
};

struct Pivot {
  std::vector<std::string> keys;               // as asked for
  std::string metric;                          // accuracy | loss | "" (no eval at all)
  std::vector<std::vector<std::string>> rows;  // values of keys[0..n-2] (all keys if n == 1)
  std::vector<std::string> cols;               // values of the last key; {""} for one key
  std::map<std::pair<std::size_t, std::size_t>, PivotCell> cells;  // (row, col) -> runs
};

// "hidden,cell" -> {"hidden", "cell"} (spaces around a key dropped); InputError "an empty key
// in 'TEXT'" for an empty one.
std::vector<std::string> parse_pivot_keys(const std::string& text);
// The pivot of `runs` over `keys` (cells point into `runs`). InputError "unknown key 'K'; the
// keys of these runs: a, b, ..." when a key is found in none of the runs.
Pivot make_pivot(const std::vector<RunRecord>& runs, const std::vector<std::string>& keys);

}  // namespace rnnlab
