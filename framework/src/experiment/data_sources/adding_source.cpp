// The `adding` data source: the adding problem (generated; the RWA study).
// Registers itself at listing position 40 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

// Generated examples [0, examples) train, the next test_examples evaluate; all from data_seed.
DataSourceType adding_source() {
  DataSourceType t;
  t.entry.name = "adding";
  t.entry.doc = "adding problem: T steps of (value U[0,1), marker), target = sum of the two "
                "marked values (MSE)";
  t.entry.schema = data_source::with_generated_examples(
      {schema::integer("steps", 100, 2, "sequence length T (the RWA study: 100 and 1000)")});
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    return data_source::generated_setup(c, [&](std::size_t total, uint64_t seed) {
      return std::make_unique<AddingDataset>(c.integer("steps"), total, seed);
    });
  };
  return t;
}

const DataSourceRegistrar kRegistrar(40, adding_source);

}  // namespace

}  // namespace rnnlab
