// The `length` data source: length classification (generated; the RWA study).
// Registers itself at listing position 50 (registry.h); the helpers are source_helpers.h.
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

const DataSourceRegistrar kRegistrar(50, length_source);

}  // namespace

}  // namespace rnnlab
