// Literals -> ParamValue: numbers (integer unless written with '.' or an exponent), strings,
// booleans, bare words (strings, e.g. `pooling: fo`), lists and ranges `a..b step s` (both ends
// included) for sweeps. (The literal text the printer writes back is rnnlab::spec_literal,
// rnnlab/spec_text.h.)
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "internal.h"

namespace rnnlab::dsl::detail {

void Sink::error(const SourceLoc& loc, std::string message, std::vector<std::string> notes) {
  if (full()) return;
  Diagnostic d;
  d.loc = loc;
  d.message = std::move(message);
  d.notes = std::move(notes);
  diags.push_back(std::move(d));
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string sq(const std::string& s) { return "'" + s + "'"; }

namespace {

struct ScalarVisitor {
  const ParsedFile& f;
  Sink& sink;
  const SourceLoc& fallback;
  std::optional<LocatedValue> operator()(const ast::number& n) const {
    const SourceLoc loc = f.loc(n, fallback);
    const std::string& t = n.text;
    if (t.find_first_of(".eE") != std::string::npos) {
      errno = 0;
      char* end = nullptr;
      const double d = std::strtod(t.c_str(), &end);
      if (errno == ERANGE || !std::isfinite(d)) {
        sink.error(loc, "number " + t + " is out of range for a real");
        return std::nullopt;
      }
      return LocatedValue{d, loc};
    }
    int64_t i = 0;
    const char* b = t.data() + (t[0] == '+' ? 1 : 0);
    auto [p, ec] = std::from_chars(b, t.data() + t.size(), i);
    if (ec != std::errc() || p != t.data() + t.size()) {
      sink.error(loc, "integer " + t + " is out of range (at most 9223372036854775807)");
      return std::nullopt;
    }
    return LocatedValue{i, loc};
  }
  std::optional<LocatedValue> operator()(const ast::string_lit& s) const {
    return LocatedValue{s.text, f.loc(s, fallback)};
  }
  std::optional<LocatedValue> operator()(const ast::boolean& b) const {
    return LocatedValue{b.value, f.loc(b, fallback)};
  }
  std::optional<LocatedValue> operator()(const ast::ident& i) const {
    return LocatedValue{i.name, f.loc(i, fallback)};
  }
};

std::optional<LocatedValue> scalar_value(const ast::scalar& s, const ParsedFile& f, Sink& sink,
                                         const SourceLoc& fallback) {
  return boost::apply_visitor(ScalarVisitor{f, sink, fallback}, s);
}

SourceLoc scalar_loc(const ast::scalar& s, const ParsedFile& f, const SourceLoc& fallback) {
  return boost::apply_visitor([&](const auto& n) { return f.loc(n, fallback); }, s);
}

double as_real(const ParamValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

// a..b step s, both ends included; integers when all three are integers.
std::optional<std::vector<LocatedValue>> expand_range(const ast::range& r, const ParsedFile& f,
                                                      Sink& sink, const SourceLoc& fallback) {
  const SourceLoc loc = f.loc(r, fallback);
  ScalarVisitor conv{f, sink, fallback};
  auto from = conv(r.from);
  auto to = conv(r.to);
  std::optional<LocatedValue> step =
      r.step ? conv(*r.step) : std::optional<LocatedValue>(LocatedValue{int64_t{1}, loc});
  if (!from || !to || !step) return std::nullopt;
  const bool ints = std::holds_alternative<int64_t>(from->value) &&
                    std::holds_alternative<int64_t>(to->value) &&
                    std::holds_alternative<int64_t>(step->value);
  const double a = as_real(from->value), b = as_real(to->value), s = as_real(step->value);
  if (!std::isfinite(a) || !std::isfinite(b) || !std::isfinite(s)) {
    sink.error(loc, "a range's bounds and step must be finite numbers");
    return std::nullopt;
  }
  if (!(s > 0)) {
    sink.error(step->loc, "a range's step must be positive, found " + param_value_str(step->value));
    return std::nullopt;
  }
  if (b < a) {
    sink.error(loc, "empty range: " + param_value_str(from->value) + " is greater than " +
                        param_value_str(to->value));
    return std::nullopt;
  }
  // The count is computed in doubles first only to reject huge ranges before any integer
  // conversion (a double beyond int64's range must never be cast).
  const double count = std::floor((b - a) / s + 1e-9) + 1;
  if (!(count <= static_cast<double>(kMaxRangeValues))) {
    sink.error(loc, "range has more than " + std::to_string(kMaxRangeValues) +
                        " values (the limit); use a larger step");
    return std::nullopt;
  }
  std::vector<LocatedValue> out;
  if (ints) {
    // Exact integer arithmetic in 128 bits: from + k*step never overflows and stops at `to`.
    const __int128 lo = std::get<int64_t>(from->value), hi = std::get<int64_t>(to->value);
    const __int128 st = std::get<int64_t>(step->value);
    for (__int128 v = lo; v <= hi; v += st) out.push_back({static_cast<int64_t>(v), loc});
    return out;
  }
  const auto n = static_cast<int64_t>(count);
  for (int64_t k = 0; k < n; ++k) out.push_back({a + static_cast<double>(k) * s, loc});
  return out;
}

}  // namespace

SourceLoc loc_of(const ast::value& v, const ParsedFile& f, const SourceLoc& fallback) {
  struct V {
    const ParsedFile& f;
    const SourceLoc& fb;
    SourceLoc operator()(const ast::scalar& s) const { return scalar_loc(s, f, fb); }
    SourceLoc operator()(const ast::list& l) const { return f.loc(l, fb); }
    SourceLoc operator()(const ast::range& r) const { return f.loc(r, fb); }
  };
  return boost::apply_visitor(V{f, fallback}, v);
}

std::optional<LocatedValue> single_value(const ast::value& v, const ParsedFile& f, Sink& sink,
                                         const SourceLoc& fallback) {
  if (const auto* s = boost::get<ast::scalar>(&v.get())) return scalar_value(*s, f, sink, fallback);
  const bool is_list = boost::get<ast::list>(&v.get()) != nullptr;
  sink.error(loc_of(v, f, fallback),
             std::string(is_list ? "a list" : "a range") + " is only allowed in a sweep",
             {"give one value here; sweep { KEY: [a, b] } runs one experiment per value"});
  return std::nullopt;
}

std::optional<std::vector<LocatedValue>> value_list(const ast::value& v, const ParsedFile& f,
                                                    Sink& sink, const SourceLoc& fallback) {
  if (const auto* s = boost::get<ast::scalar>(&v.get())) {
    auto one = scalar_value(*s, f, sink, fallback);
    if (!one) return std::nullopt;
    return std::vector<LocatedValue>{*one};
  }
  if (const auto* r = boost::get<ast::range>(&v.get())) return expand_range(*r, f, sink, fallback);
  const auto& l = boost::get<ast::list>(v.get());
  if (l.items.empty()) {
    sink.error(f.loc(l, fallback), "empty list: a sweep axis needs at least one value");
    return std::nullopt;
  }
  std::vector<LocatedValue> out;
  bool ok = true;
  for (const auto& item : l.items) {
    auto one = scalar_value(item, f, sink, fallback);
    if (one) out.push_back(std::move(*one));
    ok = ok && one.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace rnnlab::dsl::detail
