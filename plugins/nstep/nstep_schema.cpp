// nstep's parameters and registration.
//
// Own parameters: cell (which registered cell to stack), layers, bidirectional, dropout, fused.
// Pass-through (CellType::expand_schema): the schema of nstep(cell: X, …) is nstep's own
// parameters followed by X's whole schema, so X's parameters (hidden, forget_bias, activation,
// window, …) are validated, defaulted and reported exactly as for X alone, then forwarded to
// every inner X. An X parameter whose name nstep already uses is exposed as cell_<name>.
// `cell`'s choices are the registered cells that are not composites themselves; with an
// unknown `cell` the default inner cell's schema is used, so only the typo is reported.
#include <algorithm>
#include <cmath>
#include <memory>

#include "nstep_cell.h"
#include "rnnlab/error.h"
#include "rnnlab/plugin_api.h"

namespace rnnlab::nstep {

const std::vector<std::string> kOwnParams{"cell", "layers", "bidirectional", "dropout", "fused"};

namespace {

constexpr const char* kDefaultCell = "lstm";

std::vector<ParamSpec> own_schema(std::vector<std::string> cells) {
  return {
      {"cell", ParamType::choice, std::string(kDefaultCell), false, 0, 0, std::move(cells),
       "the cell to stack (any registered cell); its own parameters pass through"},
      {"layers", ParamType::integer, int64_t{1}, false, 1, 64, {}, "number of stacked layers"},
      {"bidirectional",
       ParamType::boolean,
       false,
       false,
       0,
       0,
       {},
       "add a reverse direction per layer (over each sequence's own length); output 2H"},
      {"dropout",
       ParamType::real,
       0.0,
       false,
       0,
       std::nextafter(1.0, 0.0),
       {},
       "dropout on the inputs of layers 1..L-1, training only, in [0, 1)"},
      {"fused",
       ParamType::boolean,
       true,
       false,
       0,
       0,
       {},
       "one fused sequence kernel per layer and direction where the cell has one"},
  };
}

bool is_own(const std::string& name) {
  return std::find(kOwnParams.begin(), kOwnParams.end(), name) != kOwnParams.end();
}

std::vector<ParamSpec> expand(const CellRegistry& r,
                              const std::map<std::string, ParamValue>& given) {
  std::vector<std::string> cells;
  for (const std::string& n : r.names())  // find, not get: an ambiguous name is still a cell
    if (const CellType* t = r.find(n); t && !t->expand_schema) cells.push_back(n);
  if (cells.empty()) cells.push_back(kDefaultCell);  // keeps the schema well-formed
  std::vector<ParamSpec> schema = own_schema(cells);

  std::string inner = kDefaultCell;
  if (auto it = given.find("cell"); it != given.end())
    if (const auto* s = std::get_if<std::string>(&it->second))
      if (std::find(cells.begin(), cells.end(), *s) != cells.end()) inner = *s;
  if (const CellType* t = r.find(inner); t && !t->expand_schema)
    for (ParamSpec spec : t->schema) {
      if (is_own(spec.name)) spec.name = "cell_" + spec.name;
      spec.doc = "(" + inner + ") " + spec.doc;
      schema.push_back(std::move(spec));
    }
  return schema;
}

std::unique_ptr<Cell> create(const CellArgs& a) {
  const std::string& inner = a.config.choice("cell");
  std::map<std::string, ParamValue> forwarded;
  for (const auto& [name, value] : a.config.values()) {
    if (is_own(name)) continue;
    const bool renamed = name.rfind("cell_", 0) == 0 && is_own(name.substr(5));
    forwarded[renamed ? name.substr(5) : name] = value;
  }
  return std::make_unique<NStepCell>(a, inner, forwarded);
}

void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "nstep";
  t.doc = "n stacked layers of any cell, optionally bidirectional, fused per layer (NStepLSTM)";
  t.schema = own_schema({"elman", "gru", "lstm"});  // static view; expand_schema is the truth
  t.expand_schema = expand;
  t.create = create;
  r.add(std::move(t));
}

}  // namespace

}  // namespace rnnlab::nstep

RNNLAB_PLUGIN("nstep", "1.0.0", rnnlab::nstep::register_cells)
