// The `fibonacci` data source: F(k) mod m, windows predicting the next value at every step.
// Registers itself at listing position 30 (registry.h); the helpers are source_helpers.h.
#include "experiment/data_sources/registry.h"
#include "experiment/data_sources/source_helpers.h"

#include <memory>
#include <string>

namespace rnnlab {

namespace {

using namespace data_source;  // source_helpers.h
using namespace schema;       // integer(), real(), text(), ...

DataSourceType fibonacci_source() {
  DataSourceType t;
  t.entry.name = "fibonacci";
  t.entry.doc = "F(k) mod m; windows predicting the next value at every step (MSE)";
  t.entry.schema = {
      integer("points", 2000, 2, "length of the series"),
      integer("mod", 5, 1, "modulus m (period 20 for m = 5)"),
      integer("steps", 30, 1, "window length T"),
      real("test_fraction", 0.1, 0.0, 0.99, "the last windows held out for evaluation"),
  };
  t.create = [](const CellConfig& c, const std::string&, uint64_t) {
    const int64_t points = c.integer("points"), steps = c.integer("steps");
    RNNLAB_CHECK_INPUT(points > steps, "fibonacci: ", points,
                       " points are too few for windows of ", steps, " steps");
    auto ds = std::make_unique<WindowDataset>(fibonacci_mod(points, c.integer("mod")), steps,
                                              WindowTarget::every_step);
    Split sp = split(ds->size(), c.real("test_fraction"), 0, false);  // unshuffled: no seed
    return make_setup(std::move(ds), std::move(sp),
                      "fibonacci mod " + std::to_string(c.integer("mod")) + ": ");
  };
  return t;
}

const DataSourceRegistrar kRegistrar(30, fibonacci_source);

}  // namespace

}  // namespace rnnlab
