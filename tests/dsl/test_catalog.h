// A fixed cell registry for the .rnn tests: the schemas of the built-in cells (elman, gru,
// lstm, qrnn, nstep) copied here, so the golden diagnostics do not move when a plugin's schema
// does. The factories are never called (the tests only compile specs).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "experiment/schema_helpers.h"
#include "rnnlab/catalog.h"
#include "rnnlab/cell.h"

namespace rnnlab::dsl_test {

// The catalog's own ParamSpec constructors (framework/src/experiment/schema_helpers.h).
inline ParamSpec int_param(std::string name, int64_t def, double lo, double hi, std::string doc) {
  return schema::integer(std::move(name), def, lo, std::move(doc), false, hi);
}
inline ParamSpec real_param(std::string name, double def, double lo, double hi, std::string doc) {
  return schema::real(std::move(name), def, lo, hi, std::move(doc));
}
using schema::choice;
using schema::flag;
inline constexpr auto& bool_param = flag;      // (no default arguments to lose)
inline constexpr auto& choice_param = choice;

inline CellType fake_cell(std::string name, std::vector<ParamSpec> schema) {
  CellType t;
  t.name = std::move(name);
  t.doc = "test cell";
  t.schema = std::move(schema);
  t.create = [](const CellArgs&) -> std::unique_ptr<Cell> { return nullptr; };
  return t;
}

// nstep: its own parameters, then the schema of the cell it stacks (as plugins/nstep does).
inline std::vector<ParamSpec> nstep_schema(const CellRegistry& r,
                                           const std::map<std::string, ParamValue>& given) {
  std::vector<std::string> cells;
  for (const auto& n : r.names())
    if (!r.get(n).expand_schema) cells.push_back(n);
  std::vector<ParamSpec> s = {
      choice_param("cell", "lstm", cells, "the cell to stack"),
      int_param("layers", 1, 1, 64, "number of stacked layers"),
      bool_param("bidirectional", false, "add a reverse direction per layer"),
      real_param("dropout", 0.0, 0, std::nextafter(1.0, 0.0), "dropout between layers")};
  std::string inner = "lstm";
  if (auto it = given.find("cell"); it != given.end())
    if (const auto* c = std::get_if<std::string>(&it->second))
      if (std::find(cells.begin(), cells.end(), *c) != cells.end()) inner = *c;
  for (ParamSpec p : r.get(inner).schema) s.push_back(std::move(p));
  return s;
}

inline const CellRegistry& test_registry() {
  static const CellRegistry reg = [] {
    CellRegistry r;
    const ParamSpec hidden = int_param("hidden", 128, 1, 65536, "hidden units H");
    r.add(fake_cell("elman", {hidden, choice_param("activation", "tanh", {"tanh", "relu"},
                                                   "the nonlinearity")}));
    r.add(fake_cell("gru", {hidden}));
    r.add(fake_cell("lstm", {hidden, real_param("forget_bias", 1.0, -10, 10,
                                                "initial forget-gate bias")}));
    r.add(fake_cell("qrnn", {hidden, int_param("window", 2, 1, 16, "convolution width"),
                             choice_param("pooling", "fo", {"f", "fo", "ifo"}, "pooling"),
                             real_param("zoneout", 0.0, 0, 0.99, "zoneout probability")}));
    CellType n = fake_cell("nstep", {});
    n.expand_schema = nstep_schema;
    n.schema = nstep_schema(r, {});
    r.add(std::move(n));
    return r;
  }();
  return reg;
}

inline const Catalog& test_catalog() {
  static const Catalog cat(test_registry());
  return cat;
}

}  // namespace rnnlab::dsl_test
