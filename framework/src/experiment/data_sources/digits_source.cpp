// The `digits` data source: 8x8 handwritten digits: images as 8 steps of 8 pixels (default) or
// 64 steps of 1 pixel (optionally permuted), a random split. Registers itself at listing
// position 10 (registry.h); the helpers are source_helpers.h and image_params.h.
#include "experiment/data_sources/image_params.h"
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>
#include <vector>

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h, image_params.h
using namespace schema;       // integer(), real(), text(), ...

DataSourceType digits_source() {
  DataSourceType t;
  t.entry.name = "digits";
  t.entry.doc =
      "8x8 handwritten digits (1797): 8 steps of 8 pixels /16 (or 64 steps of 1), 10 classes";
  std::vector<ParamSpec> s = {
      text("path", "data/digits.csv.gz", false,
           "the digits CSV (64 pixels 0..16 then the label per line), relative to the .rnn "
           "file"),
  };
  for (ParamSpec& p : image_reading_params(DigitsDataset::kSide, DigitsDataset::kSide))
    s.push_back(std::move(p));
  s.push_back(
      real("test_fraction", 0.2, 0.0, 0.99, "share of images held out for evaluation (seeded)"));
  s.push_back(split_seed_param());
  t.entry.schema = std::move(s);
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    return random_split_setup(std::make_unique<DigitsDataset>(
                                  resolve_path(c.text("path"), base_dir), image_reading_of(c)),
                              c);
  };
  return t;
}

const DataSourceRegistrar kRegistrar(10, digits_source);

}  // namespace

}  // namespace rnnlab
