// Cell parameters from KEY=VALUE text, and the schema a listing shows (cell_params.h).
#include "rnnlab/cell_params.h"

#include <algorithm>
#include <cstdlib>

namespace rnnlab {

namespace {

bool as_int(const std::string& text, int64_t* out) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end) return false;
  *out = v;
  return true;
}

bool as_real(const std::string& text, double* out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end) return false;
  *out = v;
  return true;
}

// "hidden=8" -> {"hidden", 8}, typed by the cell's schema (see cell_params.h).
std::pair<std::string, ParamValue> typed(const std::string& kv, const CellType& cell) {
  const std::size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("--set expects KEY=VALUE, found '" + kv + "'");
  const std::string key = kv.substr(0, eq), text = kv.substr(eq + 1);
  const auto spec = std::find_if(cell.schema.begin(), cell.schema.end(),
                                 [&](const ParamSpec& s) { return s.name == key; });
  const bool known = spec != cell.schema.end();
  const ParamType type = known ? spec->type : ParamType::string;
  auto wrong = [&](const char* what) {
    return InputError("--set " + kv + ": parameter '" + key + "' of cell '" + cell.name +
                      "' takes " + what);
  };
  int64_t i;
  double d;
  if (type == ParamType::integer || (!known && as_int(text, &i))) {
    if (!as_int(text, &i)) throw wrong("an integer");
    return {key, i};
  }
  if (type == ParamType::real || (!known && as_real(text, &d))) {
    if (as_int(text, &i)) return {key, static_cast<double>(i)};
    if (!as_real(text, &d)) throw wrong("a real number");
    return {key, d};
  }
  if (type == ParamType::boolean || (!known && (text == "true" || text == "false"))) {
    if (text != "true" && text != "false") throw wrong("true or false");
    return {key, text == "true"};
  }
  return {key, text};
}

}  // namespace

std::map<std::string, ParamValue> cell_params_from_text(const CellRegistry& registry,
                                                        const std::string& cell,
                                                        const std::vector<std::string>& key_values) {
  const CellType& type = registry.get(cell);  // InputError with "did you mean"
  std::map<std::string, ParamValue> params;
  for (const auto& kv : key_values) params.insert(typed(kv, type));
  // A parameter the cell does not have, or a bad value, is the user's typo: the schema's
  // message, not a failure from inside whatever uses the parameters.
  const std::vector<ParamSpec> schema = registry.schema_for(cell, params);
  std::vector<std::string> known;
  for (const ParamSpec& s : schema) known.push_back(s.name);
  for (const auto& [key, value] : params) {
    const auto spec = std::find_if(schema.begin(), schema.end(),
                                   [&](const ParamSpec& s) { return s.name == key; });
    if (spec == schema.end()) {
      std::string msg = "--set " + key + "=...: cell '" + cell + "' has no parameter '" + key + "'";
      const std::string near = closest_name(key, known);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      std::string all;
      for (const auto& k : known) all += (all.empty() ? "" : ", ") + k;
      throw InputError(msg + "; its parameters: " + (all.empty() ? "none" : all));
    }
    if (const std::string err = check_param_value(*spec, value); !err.empty())
      throw InputError("--set " + key + "=" + param_value_str(value) + ": parameter '" + key +
                       "' of cell '" + cell + "': " + err);
  }
  return params;
}

std::vector<ParamSpec> listed_schema(const CellRegistry& registry, const CellType& type) {
  if (!type.expand_schema) return type.schema;
  std::vector<ParamSpec> expanded;
  try {
    expanded = type.expand_schema(registry, {});
  } catch (const std::exception&) {
    return type.schema;
  }
  std::vector<ParamSpec> out;
  for (const ParamSpec& own : type.schema) {
    auto it = std::find_if(expanded.begin(), expanded.end(),
                           [&](const ParamSpec& e) { return e.name == own.name; });
    out.push_back(it != expanded.end() ? *it : own);
  }
  return out;
}

}  // namespace rnnlab
