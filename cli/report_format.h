// Number and text formatting shared by the outputs of `rnnlab report` (table, CSV, JSON, HTML),
// so that every output shows the same digits for the same value.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "rnnlab/run_reader.h"

namespace rnnlab::cli {

// For tables: printf format (default 4 decimals); "-" for NaN / Inf.
inline std::string num(double x, const char* fmt = "%.4f") {
  if (!std::isfinite(x)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

// Full precision (%.17g, reads back exactly) for CSV/JSON; "" for NaN / Inf.
inline std::string full(double x) {
  if (!std::isfinite(x)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// The one home of rnnlab's JSON text (report --json, cells --json, the HTML pages' data):
// numbers at full precision (NaN/Inf: null), strings escaped by one rule.
inline std::string json_num(double x) { return std::isfinite(x) ? full(x) : "null"; }

// Curve points for the HTML charts with 10 significant digits (they show 6; full precision
// would double a page of a dozen 10 000-step runs); NaN/Inf: null.
inline std::string json_curve(const std::vector<double>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::isfinite(v[i]) ? num(v[i], "%.10g") : "null";
  }
  return out + "]";
}

// A JSON string; '<' is written as \u003c so the text can sit inside an HTML <script>.
inline std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == '<') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

inline std::string seeds_str(const GroupRow& g, const char* sep) {
  std::string s;
  for (auto x : g.seeds) {
    if (!s.empty()) s += sep;
    s += std::to_string(x);
  }
  return s;
}

// "mean ± std" for n > 1 runs, the mean alone for one, "-" for none; printf format `fmt`.
inline std::string pm(const Stat& s, std::size_t n, const char* fmt = "%.4f") {
  if (!std::isfinite(s.mean)) return "-";
  return n > 1 ? num(s.mean, fmt) + " ± " + num(s.std, fmt) : num(s.mean, fmt);
}

// The model column: "experiment/group" when the report spans several experiments.
inline std::string group_label(const GroupRow& g, bool several_experiments) {
  return several_experiments ? g.experiment + "/" + g.group : g.group;
}

// Prints left-aligned columns separated by two spaces (± is one display column, two bytes).
inline void print_rows(const std::vector<std::vector<std::string>>& rows) {
  auto cols = [](const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  if (rows.empty()) return;
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], cols(r[c]));
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c)
      line += r[c] + std::string(width[c] + 2 - cols(r[c]), ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

}  // namespace rnnlab::cli
