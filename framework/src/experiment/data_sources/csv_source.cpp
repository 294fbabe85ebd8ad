// The `csv` data source: windows over one column of a CSV time series.
// Registers itself at listing position 20 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), real(), text(), ...

DataSourceType csv_source() {
  DataSourceType t;
  t.entry.name = "csv";
  t.entry.doc = "windows over one column of a CSV time series";
  t.entry.schema = {
      text("path", "", true, "the CSV file (header row), relative to the .rnn file"),
      text("column", "temperature", false, "value column, by header name"),
      text("date_column", "", false, "timestamp column ('' = none)"),
      integer("step_seconds", 0, 0,
              "> 0: timestamps are this far apart; gaps are filled by interpolation"),
      flag("standardize", false,
           "z = (v - mean) / stddev with the statistics of the training part only"),
      integer("steps", 10, 1, "input window length T"),
      choice("target", "next", {"next", "every_step"},
             "next: y = the value after the window [B,1]; every_step: y[t] = x[t+1] [T,B,1]"),
      real("test_fraction", 0.2, 0.0, 0.99, "share of windows held out for evaluation"),
      flag("shuffle_split", false,
           "false: the last windows are held out (time order kept); true: a seeded random "
           "subset"),
      split_seed_param(),
      flag("strict", false,
           "a missing value (empty cell, NaN/NA/null, short or truncated row) is an error; "
           "false: interpolated, with a warning naming the lines"),
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    const std::string path = resolve_path(c.text("path"), base_dir);
    CsvSeriesOptions o;
    o.strict = c.boolean("strict");
    o.column = c.text("column");
    o.date_column = c.text("date_column");
    o.step_seconds = c.integer("step_seconds");
    const int64_t steps = c.integer("steps");
    const double fraction = c.real("test_fraction");
    const bool shuffle = c.boolean("shuffle_split");
    CsvSeries s = load_csv_series(path, o);
    RNNLAB_CHECK_INPUT(static_cast<int64_t>(s.values.size()) > steps, "csv data '", path,
                       "': ", s.values.size(), " values are too few for windows of ", steps,
                       " steps (need at least ", steps + 1, ")");
    const std::size_t windows = s.values.size() - static_cast<std::size_t>(steps);
    Split sp = split(windows, fraction, split_seed_of(c), shuffle);
    if (c.boolean("standardize")) {
      // Statistics over the values the training windows see (all values when shuffled).
      o.standardize = true;
      o.fit_count = shuffle ? 0 : sp.train.size() + static_cast<std::size_t>(steps);
      s = load_csv_series(path, o);
    }
    const WindowTarget target =
        c.choice("target") == "next" ? WindowTarget::next_value : WindowTarget::every_step;
    auto ds = std::make_unique<WindowDataset>(s.values, steps, target);
    DataSetup setup = make_setup(
        std::move(ds), std::move(sp),
        "csv " + path + " column '" + o.column + "' (" + std::to_string(s.values.size()) +
            " values" +
            (s.interpolated ? ", " + std::to_string(s.interpolated) + " interpolated" : "") +
            (s.standardized ? ", standardized" : "") + "): ");
    if (!s.problems.empty()) setup.warnings.push_back(s.warning());
    return setup;
  };
  return t;
}

const DataSourceRegistrar kRegistrar(20, csv_source);

}  // namespace

}  // namespace rnnlab
