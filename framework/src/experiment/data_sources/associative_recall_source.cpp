// The `associative_recall` data source: multi-query associative recall (generated; token ids
// in, a class per step out). Registers itself at listing position 130 (registry.h); the helpers
// are source_helpers.h.
#include <memory>
#include <string>

#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), ...

// Generated examples [0, examples) train, the next test_examples evaluate; all from data_seed.
DataSourceType associative_recall_source() {
  DataSourceType t;
  t.entry.name = "associative_recall";
  t.entry.doc =
      "multi-query associative recall (Zoology, Arora et al. 2023): key-value pairs, "
      "then queried keys -> their values; token ids, vocab = 1 + keys + values classes";
  t.entry.schema = with_generated_examples({
      integer("pairs", 8, 1, "key-value pairs N per sequence (distinct keys)"),
      integer("keys", 16, 1, "key ids 1..keys (>= pairs)"),
      integer("values", 16, 2, "value ids keys+1..keys+values"),
      integer("queries", 4, 1, "queries Q after the pairs, distinct keys (<= pairs)"),
  });
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    return generated_setup(c, [&](std::size_t total, uint64_t seed) {
      return std::make_unique<AssociativeRecallDataset>(c.integer("pairs"), c.integer("keys"),
                                                        c.integer("values"), c.integer("queries"),
                                                        total, seed);
    });
  };
  return t;
}

const DataSourceRegistrar kRegistrar(130, associative_recall_source);

}  // namespace

}  // namespace rnnlab
