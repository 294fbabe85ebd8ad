// The `length` data source: length classification (generated; the RWA study).
// Registers itself at listing position 50 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

DataSourceType length_source() {
  DataSourceType t;
  t.entry.name = "length";
  t.entry.doc = "length classification: random values, length U{1..max_len}, label length > "
                "max_len/2 (bce_with_logits)";
  t.entry.schema = data_source::with_generated_examples(
      {schema::integer("max_len", 1000, 2, "longest sequence (the RWA study: 1000)")});
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    return data_source::generated_setup(c, [&](std::size_t total, uint64_t seed) {
      return std::make_unique<LengthDataset>(c.integer("max_len"), total, seed);
    });
  };
  return t;
}

const DataSourceRegistrar kRegistrar(50, length_source);

}  // namespace

}  // namespace rnnlab
