// The built-in data sources (see data_sources.h): schema + factory for each.
#include "experiment/data_sources.h"

#include "experiment/schema_helpers.h"

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

namespace rnnlab {

namespace {

using schema::choice;
using schema::flag;
using schema::integer;
using schema::real;
using schema::text;

// Relative paths in data blocks are relative to the .rnn file's folder.
std::string resolve_path(const std::string& path, const std::string& base_dir) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::string split_str(const Split& sp) {
  return std::to_string(sp.train.size()) + " train / " + std::to_string(sp.test.size()) +
         " eval";
}

// The DataSetup of every source: the dataset, its split and the one-line description
// "<prefix><dataset>, <n> train / <m> eval".
DataSetup make_setup(std::unique_ptr<Dataset> ds, Split sp, const std::string& prefix = "") {
  DataSetup d;
  d.description = prefix + ds->describe() + ", " + split_str(sp);
  d.train = std::move(sp.train);
  d.eval = std::move(sp.test);
  d.dataset = std::move(ds);
  return d;
}

// split_seed: the seed of a random train/eval split. It is a data parameter, independent of
// the run's (model) seed, so runs that differ only in their seed evaluate on the same held-out
// examples. The default, 1, is the seed every split used before split_seed existed for runs
// with the default model seed 1 (so those runs keep their split); sweep `data.split_seed` to
// measure split variance. The split itself is written to the run file (/split, run_file.h).
constexpr int64_t kDefaultSplitSeed = 1;
ParamSpec split_seed_param() {
  return integer("split_seed", kDefaultSplitSeed, 0,
                 "seed of the random train/eval split, independent of the model seed (default 1)");
}
uint64_t split_seed_of(const CellConfig& c) {
  return static_cast<uint64_t>(c.integer("split_seed"));
}

// data_seed: the seed of a generated source's examples (adding, length, synthetic_sentiment),
// training and held-out alike; a data parameter like split_seed, with the same default 1 (the
// examples every run of model seed 1 had before data_seed existed), so that runs differing
// only in their model seed train and evaluate on the same examples.
constexpr int64_t kDefaultDataSeed = 1;
ParamSpec data_seed_param() {
  return integer("data_seed", kDefaultDataSeed, 0,
                 "seed of the generated examples, independent of the model seed (default 1)");
}
uint64_t data_seed_of(const CellConfig& c) { return static_cast<uint64_t>(c.integer("data_seed")); }

// A dataset with a random split of `fraction_key` of its examples held out, by split_seed.
DataSetup random_split_setup(std::unique_ptr<Dataset> ds, const CellConfig& c,
                             const char* fraction_key = "test_fraction") {
  Split sp = split(ds->size(), c.real(fraction_key), split_seed_of(c), true);
  return make_setup(std::move(ds), std::move(sp));
}

// Generated sources: examples [0, n) train, [n, n + m) evaluate.
Split first_n_split(std::size_t n, std::size_t m) {
  Split sp;
  for (std::size_t i = 0; i < n + m; ++i) (i < n ? sp.train : sp.test).push_back(i);
  return sp;
}

// ---- digits ----
DataSourceType digits_source() {
  DataSourceType t;
  t.entry.name = "digits";
  t.entry.doc = "8x8 handwritten digits (1797): 8 steps of 8 pixels /16, 10 classes";
  t.entry.schema = {
      text("path", "data/digits.csv.gz", false,
           "the digits CSV (64 pixels 0..16 then the label per line), relative to the .rnn "
           "file"),
      real("test_fraction", 0.2, 0.0, 0.99, "share of images held out for evaluation (seeded)"),
      split_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    return random_split_setup(
        std::make_unique<DigitsDataset>(resolve_path(c.text("path"), base_dir)), c);
  };
  return t;
}

// ---- csv ----
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

// ---- fibonacci ----
DataSourceType fibonacci_source() {
  DataSourceType t;
  t.entry.name = "fibonacci";
  t.entry.doc = "F(k) mod m; windows predicting the next value at every step (MSE)";
  t.entry.schema = {
      integer("points", 2000, 2, "length of the series"),
      integer("mod", 5, 1, "modulus m (period 20 for m = 5)"),
      integer("steps", 30, 1, "window length T"),
      real("test_fraction", 0.1, 0.0, 0.99, "the last windows held out for evaluation"),
  };
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    const int64_t points = c.integer("points"), steps = c.integer("steps");
    RNNLAB_CHECK_INPUT(points > steps, "fibonacci: ", points,
                       " points are too few for windows of ", steps, " steps");
    auto ds = std::make_unique<WindowDataset>(fibonacci_mod(points, c.integer("mod")), steps,
                                              WindowTarget::every_step);
    Split sp = split(ds->size(), c.real("test_fraction"), 0, false);  // unshuffled: no seed
    return make_setup(std::move(ds), std::move(sp),
                      "fibonacci mod " + std::to_string(c.integer("mod")) + ": ");
  };
  return t;
}

// ---- adding ----
// Generated examples [0, examples) train, the next test_examples evaluate; all from data_seed.
DataSourceType adding_source() {
  DataSourceType t;
  t.entry.name = "adding";
  t.entry.doc = "adding problem: T steps of (value U[0,1), marker), target = sum of the two "
                "marked values (MSE)";
  t.entry.schema = {
      integer("steps", 100, 2, "sequence length T (the RWA study: 100 and 1000)"),
      integer("examples", 100000, 1, "generated training sequences"),
      integer("test_examples", 1000, 0, "generated evaluation sequences (a separate set)"),
      data_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    const auto n = static_cast<std::size_t>(c.integer("examples")),
               m = static_cast<std::size_t>(c.integer("test_examples"));
    auto ds = std::make_unique<AddingDataset>(c.integer("steps"), n + m, data_seed_of(c));
    return make_setup(std::move(ds), first_n_split(n, m));
  };
  return t;
}

// ---- length ----
DataSourceType length_source() {
  DataSourceType t;
  t.entry.name = "length";
  t.entry.doc = "length classification: random values, length U{1..max_len}, label length > "
                "max_len/2 (bce_with_logits)";
  t.entry.schema = {
      integer("max_len", 1000, 2, "longest sequence (the RWA study: 1000)"),
      integer("examples", 100000, 1, "generated training sequences"),
      integer("test_examples", 1000, 0, "generated evaluation sequences (a separate set)"),
      data_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    const auto n = static_cast<std::size_t>(c.integer("examples")),
               m = static_cast<std::size_t>(c.integer("test_examples"));
    auto ds = std::make_unique<LengthDataset>(c.integer("max_len"), n + m, data_seed_of(c));
    return make_setup(std::move(ds), first_n_split(n, m));
  };
  return t;
}

// ---- imdb ----
DataSourceType imdb_source() {
  DataSourceType t;
  t.entry.name = "imdb";
  t.entry.doc = "movie-review sentiment from an aclImdb folder (train split; token ids, "
                "bce_with_logits); needs an embedding first layer";
  t.entry.schema = {
      text("path", "", true,
           "the aclImdb folder (train/pos, train/neg with *.txt), relative to the .rnn file"),
      integer("vocab", 10000, 3,
              "token ids < vocab: 0 padding, 1 unknown, then the vocab-2 most frequent words"),
      integer("max_len", 500, 1, "keep each review's last max_len tokens"),
      real("validation_fraction", 0.2, 0.0, 0.99,
           "share of the train reviews held out for evaluation (seeded)"),
      split_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    const std::string root = resolve_path(c.text("path"), base_dir);
    TextVocabulary vocab =
        TextDataset::imdb_vocabulary(root, static_cast<std::size_t>(c.integer("vocab")));
    return random_split_setup(std::make_unique<TextDataset>(TextDataset::load_imdb(
                                  root, "train", vocab, c.integer("max_len"))),
                              c, "validation_fraction");
  };
  return t;
}

// ---- synthetic_sentiment ----
DataSourceType synthetic_sentiment_source() {
  DataSourceType t;
  t.entry.name = "synthetic_sentiment";
  t.entry.doc = "IMDB-like synthetic sentiment: 3 scattered sentiment words, long-range "
                "negations, majority label (token ids, bce_with_logits)";
  t.entry.schema = {
      integer("examples", 25000, 1, "generated sequences (train + eval)"),
      integer("vocab", 10000, 32, "token ids < vocab (embedding table size)"),
      integer("min_len", 50, 6, "shortest sequence"),
      integer("max_len", 500, 6, "longest sequence"),
      real("test_fraction", 0.2, 0.0, 0.99, "share of the sequences held out for evaluation"),
      split_seed_param(),
      data_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    return random_split_setup(std::make_unique<SyntheticSentimentDataset>(
                                  static_cast<std::size_t>(c.integer("examples")),
                                  c.integer("vocab"), c.integer("min_len"),
                                  c.integer("max_len"), data_seed_of(c)),
                              c);
  };
  return t;
}

// ---- npy ----
// Arrays from .npy files (NpyDataset in data.h: shapes, dtypes, the checks); a seeded random
// split by split_seed.
DataSourceType npy_source() {
  DataSourceType t;
  t.entry.name = "npy";
  t.entry.doc = "your own arrays from .npy files: inputs [N,T,I] float, targets [N] int "
                "(classes) or [N,O] / [N,T,O] float, optional lengths [N]";
  t.entry.schema = {
      text("inputs", "", true, "inputs [N,T,I] float32/float64 .npy, relative to the .rnn file"),
      text("targets", "", true,
           "targets .npy: [N] integer class labels, or [N,O] / [N,T,O] float regression values"),
      text("lengths", "", false, "optional [N] integer sequence lengths in 1..T ('' = all T)"),
      integer("classes", 0, 0, "number of classes C (0: the largest label + 1)"),
      real("test_fraction", 0.2, 0.0, 0.99, "share of examples held out for evaluation (seeded)"),
      split_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    const std::string lengths = c.text("lengths");
    return random_split_setup(
        std::make_unique<NpyDataset>(
            resolve_path(c.text("inputs"), base_dir), resolve_path(c.text("targets"), base_dir),
            lengths.empty() ? std::string() : resolve_path(lengths, base_dir),
            c.integer("classes")),
        c);
  };
  return t;
}

}  // namespace

std::vector<DataSourceType> builtin_data_sources() {
  return {digits_source(), csv_source(),  fibonacci_source(), adding_source(),
          length_source(), imdb_source(), synthetic_sentiment_source(), npy_source()};
}

}  // namespace rnnlab
