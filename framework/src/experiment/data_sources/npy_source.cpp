// The `npy` data source: your own arrays from .npy files.
// Registers itself at listing position 80 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), real(), text(), ...

std::unique_ptr<NpyDataset> load(const CellConfig& c, const std::string& base_dir) {
  const std::string lengths = c.text("lengths");
  return std::make_unique<NpyDataset>(
      resolve_path(c.text("inputs"), base_dir), resolve_path(c.text("targets"), base_dir),
      lengths.empty() ? std::string() : resolve_path(lengths, base_dir), c.integer("classes"));
}

// Arrays from .npy files (NpyDataset in data.h: shapes, dtypes, the checks); a seeded random
// split by split_seed.
DataSourceType npy_source() {
  DataSourceType t;
  t.entry.name = "npy";
  t.entry.doc = "your own arrays from .npy files: inputs [N,T,I] float, targets [N] / [N,T] "
                "int (classes) or [N,O] / [N,T,O] float, optional lengths [N]";
  t.entry.schema = {
      text("inputs", "", true, "inputs [N,T,I] float32/float64 .npy, relative to the .rnn file"),
      text("targets", "", true,
           "targets .npy: [N] integer class labels, [N,T] per-step class ids (-1: not "
           "scored), or [N,O] / [N,T,O] float regression values"),
      text("lengths", "", false, "optional [N] integer sequence lengths in 1..T ('' = all T)"),
      integer("classes", 0, 0, "number of classes C (0: the largest label + 1)"),
      real("test_fraction", 0.2, 0.0, 0.99, "share of examples held out for evaluation (seeded)"),
      split_seed_param(),
  };
  t.create = [](const CellConfig& c, const std::string& base_dir, uint64_t) {
    return random_split_setup(load(c, base_dir), c);
  };
  // `rnnlab check` loads the arrays: every shape, dtype and value rule of NpyDataset.
  t.check = [](const CellConfig& c, const std::string& base_dir) { load(c, base_dir); };
  return t;
}

const DataSourceRegistrar kRegistrar(80, npy_source);

}  // namespace

}  // namespace rnnlab
