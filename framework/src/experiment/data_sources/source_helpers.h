// Building blocks shared by the built-in data sources (<name>_source.cpp in this folder):
// paths relative to the .rnn file, the seed parameters and the DataSetup of a split.
//
//   split_seed  the seed of a random train/eval split: a data parameter, independent of the
//               run's (model) seed, so runs that differ only in their seed evaluate on the same
//               held-out examples. Default 1: the seed every split used before split_seed
//               existed for runs with the default model seed 1 (so those runs keep their split);
//               sweep `data.split_seed` to measure split variance. The split is written to the
//               run file (/split, run_file.h).
//   data_seed   the seed of a generated source's examples (adding, length,
//               synthetic_sentiment), training and held-out alike; default 1 likewise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "experiment/schema_helpers.h"
#include "rnnlab/catalog.h"

namespace rnnlab::data_source {

// Relative paths in data blocks are relative to the .rnn file's folder (base_dir).
std::string resolve_path(const std::string& path, const std::string& base_dir);

// The DataSetup of every source: the dataset, its split and the one-line description
// "<prefix><dataset>, <n> train / <m> eval".
DataSetup make_setup(std::unique_ptr<Dataset> ds, Split sp, const std::string& prefix = "");

ParamSpec split_seed_param();
uint64_t split_seed_of(const CellConfig& c);
ParamSpec data_seed_param();
uint64_t data_seed_of(const CellConfig& c);

// A dataset with a random split of `fraction_key` of its examples held out, by split_seed.
DataSetup random_split_setup(std::unique_ptr<Dataset> ds, const CellConfig& c,
                             const char* fraction_key = "test_fraction");

// Generated sources: examples [0, n) train, [n, n + m) evaluate.
Split first_n_split(std::size_t n, std::size_t m);

// Generated sources with a separate evaluation set. Schema: the source's own parameters, then
// examples, test_examples and data_seed. Setup: make(examples + test_examples, data_seed)
// builds the dataset; the first `examples` train, the next `test_examples` evaluate.
std::vector<ParamSpec> with_generated_examples(std::vector<ParamSpec> own);
DataSetup generated_setup(
    const CellConfig& c,
    const std::function<std::unique_ptr<Dataset>(std::size_t total, uint64_t seed)>& make);

}  // namespace rnnlab::data_source
