// The `selective_copy` data source: Mamba's selective-copy task (generated; token ids in, a
// class per step out). Registers itself at listing position 120 (registry.h); the helpers are
// source_helpers.h.
#include <memory>
#include <string>

#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), ...

// Generated examples [0, examples) train, the next test_examples evaluate; all from data_seed.
DataSourceType selective_copy_source() {
  DataSourceType t;
  t.entry.name = "selective_copy";
  t.entry.doc =
      "selective copy (Gu & Dao 2023): symbols at random positions among noise, then "
      "recall them in order; token ids, vocab = alphabet + 2 classes per step";
  t.entry.schema = with_generated_examples({
      integer("steps", 64, 1, "input positions L (noise and symbols); sequence length L + tokens"),
      integer("tokens", 16, 1, "symbols to copy K (<= steps)"),
      integer("alphabet", 8, 2, "data symbol ids 2..alphabet+1 (blank 0, recall marker 1)"),
  });
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    return generated_setup(c, [&](std::size_t total, uint64_t seed) {
      return std::make_unique<SelectiveCopyDataset>(c.integer("steps"), c.integer("tokens"),
                                                    c.integer("alphabet"), total, seed);
    });
  };
  return t;
}

const DataSourceRegistrar kRegistrar(120, selective_copy_source);

}  // namespace

}  // namespace rnnlab
