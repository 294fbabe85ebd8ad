// The `synthetic_sentiment` data source: IMDB-like synthetic sentiment (generated).
// Registers itself at listing position 70 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), real(), text(), ...

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

const DataSourceRegistrar kRegistrar(70, synthetic_sentiment_source);

}  // namespace

}  // namespace rnnlab
