// Building blocks shared by the built-in data sources (see source_helpers.h).
#include "experiment/data_sources/source_helpers.h"

#include <filesystem>

namespace rnnlab::data_source {

namespace {
constexpr int64_t kDefaultSplitSeed = 1;
constexpr int64_t kDefaultDataSeed = 1;

std::string split_str(const Split& sp) {
  return std::to_string(sp.train.size()) + " train / " + std::to_string(sp.test.size()) +
         " eval";
}
}  // namespace

std::string resolve_path(const std::string& path, const std::string& base_dir) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

DataSetup make_setup(std::unique_ptr<Dataset> ds, Split sp, const std::string& prefix) {
  DataSetup d;
  d.description = prefix + ds->describe() + ", " + split_str(sp);
  d.train = std::move(sp.train);
  d.eval = std::move(sp.test);
  d.dataset = std::move(ds);
  return d;
}

ParamSpec split_seed_param() {
  return schema::integer(
      "split_seed", kDefaultSplitSeed, 0,
      "seed of the random train/eval split, independent of the model seed (default 1)");
}
uint64_t split_seed_of(const CellConfig& c) {
  return static_cast<uint64_t>(c.integer("split_seed"));
}

ParamSpec data_seed_param() {
  return schema::integer(
      "data_seed", kDefaultDataSeed, 0,
      "seed of the generated examples, independent of the model seed (default 1)");
}
uint64_t data_seed_of(const CellConfig& c) { return static_cast<uint64_t>(c.integer("data_seed")); }

DataSetup random_split_setup(std::unique_ptr<Dataset> ds, const CellConfig& c,
                             const char* fraction_key) {
  Split sp = split(ds->size(), c.real(fraction_key), split_seed_of(c), true);
  return make_setup(std::move(ds), std::move(sp));
}

Split first_n_split(std::size_t n, std::size_t m) {
  Split sp;
  for (std::size_t i = 0; i < n + m; ++i) (i < n ? sp.train : sp.test).push_back(i);
  return sp;
}

std::vector<ParamSpec> with_generated_examples(std::vector<ParamSpec> own) {
  own.push_back(schema::integer("examples", 100000, 1, "generated training sequences"));
  own.push_back(schema::integer("test_examples", 1000, 0,
                                "generated evaluation sequences (a separate set)"));
  own.push_back(data_seed_param());
  return own;
}

DataSetup generated_setup(
    const CellConfig& c,
    const std::function<std::unique_ptr<Dataset>(std::size_t total, uint64_t seed)>& make) {
  const auto n = static_cast<std::size_t>(c.integer("examples")),
             m = static_cast<std::size_t>(c.integer("test_examples"));
  return make_setup(make(n + m, data_seed_of(c)), first_n_split(n, m));
}

}  // namespace rnnlab::data_source
