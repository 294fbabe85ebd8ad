// The `imdb` data source: movie-review sentiment from an aclImdb folder.
// Registers itself at listing position 60 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), real(), text(), ...

DataSourceType imdb_source() {
  DataSourceType t;
  t.entry.name = "imdb";
  t.entry.doc = "movie-review sentiment from an aclImdb folder (train split; token ids, "
                "bce_with_logits); needs an embedding first layer";
  t.entry.schema = {
      text("path", "", true,
           "the aclImdb folder (train/pos, train/neg with *.txt), relative to the .rnn file"),
      integer("vocab", 10000, 3,
              "token ids < vocab: 0 padding, 1 unknown, then the vocab-2 most frequent words"),
      integer("max_len", 500, 1, "keep each review's last max_len tokens"),
      real("validation_fraction", 0.2, 0.0, 0.99,
           "share of the train reviews held out for evaluation (seeded)"),
      split_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    const std::string root = resolve_path(c.text("path"), base_dir);
    TextVocabulary vocab =
        TextDataset::imdb_vocabulary(root, static_cast<std::size_t>(c.integer("vocab")));
    return random_split_setup(std::make_unique<TextDataset>(TextDataset::load_imdb(
                                  root, "train", vocab, c.integer("max_len"))),
                              c, "validation_fraction");
  };
  return t;
}

const DataSourceRegistrar kRegistrar(60, imdb_source);

}  // namespace

}  // namespace rnnlab
