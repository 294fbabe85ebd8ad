// The `adding` data source: the adding problem (generated; the RWA study).
// Registers itself at listing position 40 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

using data_source::make_setup;
using data_source::data_seed_param;
using data_source::data_seed_of;
using data_source::first_n_split;
using schema::integer;

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

const DataSourceRegistrar kRegistrar(40, adding_source);

}  // namespace

}  // namespace rnnlab
