// A fixed cell registry for the .rnn tests: the schemas of the built-in cells (elman, gru,
// lstm, qrnn, nstep) copied here, so the golden diagnostics do not move when a plugin's schema
// does. The factories are never called (the tests only compile specs).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/cell.h"

namespace rnnlab::dsl_test {

inline ParamSpec int_param(std::string name, int64_t def, double lo, double hi, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::integer;
  s.default_value = def;
  s.min = lo;
  s.max = hi;
  s.doc = std::move(doc);
  return s;
}

inline ParamSpec real_param(std::string name, double def, double lo, double hi, std::string doc) {
  ParamSpec s = int_param(std::move(name), 0, lo, hi, std::move(doc));
  s.type = ParamType::real;
  s.default_value = def;
  return s;
}

inline ParamSpec bool_param(std::string name, bool def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::boolean;
  s.default_value = def;
  s.doc = std::move(doc);
  return s;
}

inline ParamSpec choice_param(std::string name, std::string def, std::vector<std::string> choices,
                              std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::choice;
  s.default_value = std::move(def);
  s.choices = std::move(choices);
  s.doc = std::move(doc);
  return s;
}

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
