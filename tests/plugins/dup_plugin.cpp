// Test plugin "tp_dup": registers "tp_cell", a cell that tp_good also registers. Loaded next
// to tp_good it is a duplicate-cell error; earlier in the search path it overrides tp_good's.
#include <memory>

#include "rnnlab/cell.h"
#include "rnnlab/plugin_api.h"

namespace {

void register_cells(rnnlab::CellRegistry& r) {
  rnnlab::CellType cell;
  cell.name = "tp_cell";
  cell.doc = "tp_dup's version of tp_cell";
  cell.create = [](const rnnlab::CellArgs&) -> std::unique_ptr<rnnlab::Cell> { return nullptr; };
  r.add(cell);
}

}  // namespace

RNNLAB_PLUGIN("tp_dup", "0.0.1", register_cells)
