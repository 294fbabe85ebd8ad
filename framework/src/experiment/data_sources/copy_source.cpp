// The `copy` data source: the copy-memory task (generated; token ids in, a class per step out).
// Registers itself at listing position 110 (registry.h); the helpers are source_helpers.h.
#include <memory>
#include <string>

#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), choice(), ...

// Generated examples [0, examples) train, the next test_examples evaluate; all from data_seed.
DataSourceType copy_source() {
  DataSourceType t;
  t.entry.name = "copy";
  t.entry.doc =
      "copy memory (Arjovsky et al. 2016): symbols, blanks, a delimiter, then recall "
      "the symbols; token ids, vocab = alphabet + 2 classes per step";
  t.entry.schema = with_generated_examples({
      integer("blanks", 100, 1,
              "delay T: blank steps between the symbols and the recall "
              "(sequence length T + 2 * symbols)"),
      integer("symbols", 10, 1, "symbols to remember and recall"),
      integer("alphabet", 8, 2, "data symbol ids 1..alphabet (blank 0, delimiter alphabet+1)"),
      choice("score", "recall", {"recall", "all"},
             "scored steps: recall (the recall steps only) or all (blanks' target = blank)"),
  });
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    const auto score = c.choice("score") == "all" ? CopyMemoryDataset::Score::all
                                                  : CopyMemoryDataset::Score::recall;
    return generated_setup(c, [&](std::size_t total, uint64_t seed) {
      return std::make_unique<CopyMemoryDataset>(c.integer("blanks"), c.integer("symbols"),
                                                 c.integer("alphabet"), score, total, seed);
    });
  };
  return t;
}

const DataSourceRegistrar kRegistrar(110, copy_source);

}  // namespace

}  // namespace rnnlab
