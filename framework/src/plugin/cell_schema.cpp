// Cell parameter schemas: value formatting, checking one value against its spec, resolving a
// user's parameters against a schema (defaults, unknown names with "did you mean", missing
// required ones, bad values: all reported together), and the closest-name helper used for
// every "did you mean" in rnnlab.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"

namespace rnnlab {

namespace {

// Shortest round-trip text of a double; always reads back as a real ("1.0", not "1").
std::string real_str(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s = ec == std::errc() ? std::string(buf, end) : std::to_string(v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// A range bound: integral values print as integers ("[0, 1]", "[1, 65536]"), others as reals.
std::string bound_str(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.2e18)
    return std::to_string(static_cast<int64_t>(v));
  return real_str(v);
}

bool has_min(const ParamSpec& s) { return std::isfinite(s.min); }
bool has_max(const ParamSpec& s) { return std::isfinite(s.max); }

// " in [1, 65536]", " >= 1", " <= 10" or "".
std::string range_str(const ParamSpec& s) {
  if (has_min(s) && has_max(s)) return " in [" + bound_str(s.min) + ", " + bound_str(s.max) + "]";
  if (has_min(s)) return " >= " + bound_str(s.min);
  if (has_max(s)) return " <= " + bound_str(s.max);
  return "";
}

std::string quoted_list(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += "'" + v[i] + "'";
  }
  return out;
}

// What the spec expects, e.g. "an integer in [1, 65536]", "one of 'f', 'fo', 'ifo'".
std::string expected_str(const ParamSpec& s) {
  switch (s.type) {
    case ParamType::integer:
      return "an integer" + range_str(s);
    case ParamType::real:
      return "a real" + range_str(s);
    case ParamType::boolean:
      return "a boolean (true or false)";
    case ParamType::choice:
      if (s.choices.empty()) return "a choice (the schema lists none)";
      return "one of " + quoted_list(s.choices);
    case ParamType::string:
      return "a string";
  }
  return "?";
}

// What was found, naming its type when it is not what the spec asked for.
std::string found_str(const ParamSpec& s, const ParamValue& v) {
  const bool same_kind = (s.type == ParamType::integer && std::holds_alternative<int64_t>(v)) ||
                         (s.type == ParamType::real && (std::holds_alternative<double>(v) ||
                                                        std::holds_alternative<int64_t>(v))) ||
                         (s.type == ParamType::boolean && std::holds_alternative<bool>(v)) ||
                         ((s.type == ParamType::choice || s.type == ParamType::string) &&
                          std::holds_alternative<std::string>(v));
  if (std::holds_alternative<std::string>(v)) {
    const std::string q = "'" + std::get<std::string>(v) + "'";
    return same_kind ? q : "the string " + q;
  }
  if (same_kind) return param_value_str(v);
  if (std::holds_alternative<int64_t>(v)) return "the integer " + param_value_str(v);
  if (std::holds_alternative<double>(v)) return "the real " + param_value_str(v);
  return "the boolean " + param_value_str(v);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::size_t levenshtein(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::integer:
      return "integer";
    case ParamType::real:
      return "real";
    case ParamType::boolean:
      return "boolean";
    case ParamType::choice:
      return "choice";
    case ParamType::string:
      return "string";
  }
  return "?";
}

std::string param_value_str(const ParamValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return real_str(*d);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return std::get<std::string>(v);
}

std::string check_param_value(const ParamSpec& spec, const ParamValue& v) {
  auto bad = [&] { return "expected " + expected_str(spec) + ", found " + found_str(spec, v); };
  switch (spec.type) {
    case ParamType::integer: {
      const auto* i = std::get_if<int64_t>(&v);
      if (!i) return bad();
      const double x = static_cast<double>(*i);
      if (x < spec.min || x > spec.max) return bad();
      return "";
    }
    case ParamType::real: {
      double x;
      if (const auto* d = std::get_if<double>(&v)) {
        x = *d;
      } else if (const auto* i = std::get_if<int64_t>(&v)) {
        x = static_cast<double>(*i);
      } else {
        return bad();
      }
      // NaN fails both comparisons, so it is rejected even without bounds.
      if (!(x >= spec.min && x <= spec.max)) return bad();
      return "";
    }
    case ParamType::boolean:
      return std::holds_alternative<bool>(v) ? "" : bad();
    case ParamType::choice: {
      const auto* s = std::get_if<std::string>(&v);
      if (!s) return bad();
      if (std::find(spec.choices.begin(), spec.choices.end(), *s) != spec.choices.end()) return "";
      std::string msg = bad();
      const std::string near = closest_name(*s, spec.choices);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      return msg;
    }
    case ParamType::string:
      return std::holds_alternative<std::string>(v) ? "" : bad();
  }
  return "unknown parameter type";
}

CellConfig CellConfig::resolve(const std::string& cell, const std::vector<ParamSpec>& schema,
                               const std::map<std::string, ParamValue>& given) {
  std::vector<std::string> problems;
  const std::string where = "cell '" + cell + "': ";

  std::vector<std::string> names;
  names.reserve(schema.size());
  for (const auto& s : schema) names.push_back(s.name);

  // 1. names the schema does not know
  for (const auto& [name, value] : given) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    std::string msg = where + "unknown parameter '" + name + "'";
    const std::string near = closest_name(name, names);
    if (!near.empty()) {
      msg += " (did you mean '" + near + "'?)";
    } else if (names.empty()) {
      msg += " (it takes no parameters)";
    } else {
      std::vector<std::string> sorted = names;
      std::sort(sorted.begin(), sorted.end());
      std::string known;
      for (std::size_t i = 0; i < sorted.size(); ++i) known += (i ? ", " : "") + sorted[i];
      msg += " (known: " + known + ")";
    }
    problems.push_back(std::move(msg));
  }

  // 2. every schema entry: given and valid, or defaulted, or missing
  CellConfig out;
  for (const auto& spec : schema) {
    auto it = given.find(spec.name);
    if (it == given.end()) {
      if (spec.required) {
        problems.push_back(where + "missing required parameter '" + spec.name + "' (" +
                           expected_str(spec) + ")");
        continue;
      }
      // A default that fails its own spec is a bug in the plugin, still reported here.
      const std::string err = check_param_value(spec, spec.default_value);
      if (!err.empty()) {
        problems.push_back(where + "the default of parameter '" + spec.name +
                           "' is invalid (bug in the cell's schema): " + err);
        continue;
      }
    } else {
      const std::string err = check_param_value(spec, it->second);
      if (!err.empty()) {
        problems.push_back(where + "parameter '" + spec.name + "': " + err);
        continue;
      }
    }
    ParamValue v = it == given.end() ? spec.default_value : it->second;
    // Integers are accepted for reals; store them as reals so real() just works.
    if (spec.type == ParamType::real)
      if (const auto* i = std::get_if<int64_t>(&v)) v = static_cast<double>(*i);
    out.values_[spec.name] = std::move(v);
  }

  if (!problems.empty()) {
    std::string msg;
    for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "\n" : "") + problems[i];
    throw InputError(msg);
  }
  return out;
}

const ParamValue& CellConfig::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    std::string known;
    for (const auto& [k, v] : values_) known += (known.empty() ? "" : ", ") + k;
    throw Error("cell config has no parameter '" + name +
                "' (it has: " + (known.empty() ? std::string("none") : known) +
                "); is it missing from the cell's schema?");
  }
  return it->second;
}

namespace {
const char* value_kind(const ParamValue& v) {
  if (std::holds_alternative<int64_t>(v)) return "an integer";
  if (std::holds_alternative<double>(v)) return "a real";
  if (std::holds_alternative<bool>(v)) return "a boolean";
  return "a string";
}
}  // namespace

int64_t CellConfig::integer(const std::string& name) const {
  const ParamValue& v = at(name);
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  throw Error("cell parameter '" + name + "' is " + value_kind(v) + ", not an integer");
}

double CellConfig::real(const std::string& name) const {
  const ParamValue& v = at(name);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  throw Error("cell parameter '" + name + "' is " + value_kind(v) + ", not a real");
}

bool CellConfig::boolean(const std::string& name) const {
  const ParamValue& v = at(name);
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  throw Error("cell parameter '" + name + "' is " + value_kind(v) + ", not a boolean");
}

const std::string& CellConfig::choice(const std::string& name) const {
  const ParamValue& v = at(name);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  throw Error("cell parameter '" + name + "' is " + value_kind(v) + ", not a choice");
}

// Levenshtein distance, case-insensitive; accepted when <= max(1, len/3) where len is the
// length of `word`. Ties go to the earlier candidate.
std::string closest_name(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.empty()) return "";
  const std::string w = lower(word);
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = levenshtein(w, lower(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best_d <= limit ? best : "";
}

}  // namespace rnnlab
