// Test plugin "tp_shadow": registers a cell named "gru", the name of a built-in cell, as a
// user's plugin on the search path would. Its factory returns no cell (the CLI tests only need
// the name clash): with it on the plugin path, "gru" is ambiguous until the user picks one.
#include <memory>

#include "rnnlab/cell.h"
#include "rnnlab/plugin_api.h"

namespace {

void register_cells(rnnlab::CellRegistry& r) {
  rnnlab::CellType cell;
  cell.name = "gru";
  cell.doc = "tp_shadow's gru (a name clash with the built-in)";
  rnnlab::ParamSpec hidden;
  hidden.name = "hidden";
  hidden.type = rnnlab::ParamType::integer;
  hidden.default_value = int64_t{8};
  hidden.min = 1;
  hidden.doc = "hidden size";
  cell.schema = {hidden};
  cell.create = [](const rnnlab::CellArgs&) -> std::unique_ptr<rnnlab::Cell> { return nullptr; };
  r.add(cell);
}

}  // namespace

RNNLAB_PLUGIN("tp_shadow", "0.1.0", register_cells)
