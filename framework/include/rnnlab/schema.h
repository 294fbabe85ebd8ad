// Building ParamSpecs (cell.h) for cell schemas and catalogs.
//
// By name (rnnlab::param), for plugin authors:
//
//   t.schema = {
//       param::integer("hidden").def(128).range(1, 65536).doc("hidden units H"),
//       param::real("forget_bias").def(1.0).min(0).doc("initial forget-gate bias"),
//       param::flag("peephole").def(false).doc("peephole connections"),
//       param::choice("activation", {"tanh", "relu"}).doc("nonlinearity"),  // default: tanh
//       param::integer("vocab").required().min(1).doc("vocabulary size"),
//   };
//
// Each function starts a param::Spec of that type; the setters name what they set and may come
// in any order; a Spec converts to ParamSpec where one is expected. A choice's default is its
// first choice unless def() names another, and a choice has no range. Without def() (and
// without required()) an integer defaults to 0, a real to 0.0, a flag to false, a string to
// "". The registry still checks the result when the plugin loads (a default outside the range
// or not among the choices names the cell and the parameter).
//
// Positional (rnnlab::schema, the catalog's built-in schemas):
//   integer("batch", 32, 1, "doc")   real("lr", 1e-3, 0, inf, "doc")   flag(...)   choice(...)
// A spec made with required=true has no default (the user must give it).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "rnnlab/cell.h"

namespace rnnlab::param {

class Spec {
 public:
  Spec(std::string name, ParamType type, ParamValue def) {
    spec_.name = std::move(name);
    spec_.type = type;
    spec_.default_value = std::move(def);
  }
  // The default value (an integer is accepted for a real parameter). One overload per C++
  // type, so that def(false) stays a boolean and def(1e-3) a real.
  Spec& def(bool v) { return set_default(v); }
  Spec& def(int v) { return set_default(static_cast<int64_t>(v)); }
  Spec& def(long v) { return set_default(static_cast<int64_t>(v)); }
  Spec& def(long long v) { return set_default(static_cast<int64_t>(v)); }
  Spec& def(double v) { return set_default(v); }
  Spec& def(const char* v) { return set_default(std::string(v)); }
  Spec& def(std::string v) { return set_default(std::move(v)); }
  // The user must give the value; there is no default.
  Spec& required() {
    spec_.required = true;
    return *this;
  }
  Spec& min(double lo) {
    spec_.min = lo;
    return *this;
  }
  Spec& max(double hi) {
    spec_.max = hi;
    return *this;
  }
  Spec& range(double lo, double hi) { return min(lo).max(hi); }
  Spec& doc(std::string text) {
    spec_.doc = std::move(text);
    return *this;
  }
  const ParamSpec& spec() const { return spec_; }
  operator ParamSpec() const { return spec_; }  // NOLINT: implicit on purpose

 private:
  friend Spec choice(std::string name, std::vector<std::string> choices);
  Spec& set_default(ParamValue v) {
    if (spec_.type == ParamType::real)
      if (const auto* i = std::get_if<int64_t>(&v)) v = static_cast<double>(*i);
    spec_.default_value = std::move(v);
    spec_.required = false;
    return *this;
  }
  ParamSpec spec_;
};

inline Spec integer(std::string name) { return Spec(std::move(name), ParamType::integer, int64_t{0}); }
inline Spec real(std::string name) { return Spec(std::move(name), ParamType::real, 0.0); }
inline Spec flag(std::string name) { return Spec(std::move(name), ParamType::boolean, false); }
inline Spec text(std::string name) { return Spec(std::move(name), ParamType::string, std::string()); }
// One of `choices`; the default is the first unless def() names another.
inline Spec choice(std::string name, std::vector<std::string> choices) {
  Spec s(std::move(name), ParamType::choice, choices.empty() ? std::string() : choices.front());
  s.spec_.choices = std::move(choices);
  return s;
}

}  // namespace rnnlab::param

namespace rnnlab::schema {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

inline ParamSpec integer(std::string name, int64_t def, double min, std::string doc,
                         bool required = false, double max = kInf) {
  ParamSpec s = param::integer(std::move(name)).def(def).range(min, max).doc(std::move(doc));
  s.required = required;
  return s;
}

inline ParamSpec real(std::string name, double def, double min, double max, std::string doc,
                      bool required = false) {
  ParamSpec s = param::real(std::move(name)).def(def).range(min, max).doc(std::move(doc));
  s.required = required;
  return s;
}

inline ParamSpec text(std::string name, std::string def, bool required, std::string doc) {
  ParamSpec s = param::text(std::move(name)).def(std::move(def)).doc(std::move(doc));
  s.required = required;
  return s;
}

inline ParamSpec flag(std::string name, bool def, std::string doc) {
  return param::flag(std::move(name)).def(def).doc(std::move(doc));
}

inline ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices,
                        std::string doc) {
  return param::choice(std::move(name), std::move(choices)).def(std::move(def)).doc(std::move(doc));
}

}  // namespace rnnlab::schema
