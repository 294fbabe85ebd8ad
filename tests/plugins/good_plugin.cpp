// Test plugin "tp_good": a well-formed plugin with two cell types that never build a real cell
// (the loader tests only need registration): tp_cell's factory returns nullptr, tp_throwing's
// throws an InputError (which must cross the .so boundary as an InputError).
#include <memory>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"
#include "rnnlab/plugin_api.h"

namespace {

void register_cells(rnnlab::CellRegistry& r) {
  using rnnlab::ParamSpec;
  using rnnlab::ParamType;
  rnnlab::CellType cell;
  cell.name = "tp_cell";
  cell.doc = "test cell whose factory returns no cell";
  ParamSpec hidden;
  hidden.name = "hidden";
  hidden.type = ParamType::integer;
  hidden.required = true;
  hidden.min = 1;
  hidden.max = 65536;
  hidden.doc = "hidden size";
  ParamSpec forget_bias;
  forget_bias.name = "forget_bias";
  forget_bias.type = ParamType::real;
  forget_bias.default_value = 1.0;
  forget_bias.min = 0;
  forget_bias.doc = "forget gate bias";
  cell.schema = {hidden, forget_bias};
  cell.create = [](const rnnlab::CellArgs&) -> std::unique_ptr<rnnlab::Cell> { return nullptr; };
  r.add(cell);

  rnnlab::CellType throwing;
  throwing.name = "tp_throwing";
  throwing.doc = "test cell whose factory throws";
  throwing.create = [](const rnnlab::CellArgs&) -> std::unique_ptr<rnnlab::Cell> {
    throw rnnlab::InputError("tp_throwing: this cell can never be built");
  };
  r.add(throwing);
}

}  // namespace

RNNLAB_PLUGIN("tp_good", "1.2.3", register_cells)
