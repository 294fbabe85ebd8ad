// Short constructors for ParamSpec entries, used by the catalog's built-in schemas:
//   integer("batch", 32, 1, "doc")   real("lr", 1e-3, 0, inf, "doc")   flag(...)   choice(...)
// A spec made with required=true has no default (the user must give it).
#pragma once

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "rnnlab/cell.h"

namespace rnnlab::schema {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

inline ParamSpec integer(std::string name, int64_t def, double min, std::string doc,
                         bool required = false, double max = kInf) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::integer;
  s.default_value = def;
  s.required = required;
  s.min = min;
  s.max = max;
  s.doc = std::move(doc);
  return s;
}

inline ParamSpec real(std::string name, double def, double min, double max, std::string doc,
                      bool required = false) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::real;
  s.default_value = def;
  s.required = required;
  s.min = min;
  s.max = max;
  s.doc = std::move(doc);
  return s;
}

inline ParamSpec text(std::string name, std::string def, bool required, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::string;
  s.default_value = std::move(def);
  s.required = required;
  s.doc = std::move(doc);
  return s;
}

inline ParamSpec flag(std::string name, bool def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::boolean;
  s.default_value = def;
  s.doc = std::move(doc);
  return s;
}

inline ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices,
                        std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::choice;
  s.default_value = std::move(def);
  s.choices = std::move(choices);
  s.doc = std::move(doc);
  return s;
}

}  // namespace rnnlab::schema
