// Pivot tables of runs over keys (see rnnlab/run_pivot.h).
#include "rnnlab/run_pivot.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "rnnlab/error.h"
#include "rnnlab/run_layout.h"

namespace rnnlab {

namespace {

bool as_number(const std::string& s, double& x) {
  if (s.empty()) return false;
  char* end = nullptr;
  x = std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

// Distinct values, numerically sorted when all are numbers.
std::vector<std::string> sorted_values(std::set<std::string> values) {
  std::vector<std::string> out(values.begin(), values.end());
  double a = 0, b = 0;
  const bool numeric =
      std::all_of(out.begin(), out.end(), [&](const std::string& s) { return as_number(s, a); });
  if (numeric)
    std::stable_sort(out.begin(), out.end(), [&](const std::string& x, const std::string& y) {
      as_number(x, a);
      as_number(y, b);
      return a < b;
    });
  return out;
}

}  // namespace

std::vector<std::string> parse_pivot_keys(const std::string& text) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(',', start);
    std::string k = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!k.empty() && std::isspace(static_cast<unsigned char>(k.back()))) k.pop_back();
    while (!k.empty() && std::isspace(static_cast<unsigned char>(k.front()))) k.erase(0, 1);
    if (k.empty()) throw InputError("an empty key in '" + text + "'");
    keys.push_back(k);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return keys;
}

Pivot make_pivot(const std::vector<RunRecord>& runs, const std::vector<std::string>& keys) {
  Pivot p;
  p.keys = keys;
  std::vector<std::map<std::string, std::string>> values;
  std::set<std::string> known;
  for (const auto& r : runs) {
    values.push_back(run_keys(r));
    for (const auto& [k, v] : values.back()) known.insert(k);
  }
  for (const auto& k : keys)
    if (!known.count(k)) {
      std::string list;
      for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
      throw InputError("unknown key '" + k + "'; the keys of these runs: " + list);
    }
  bool any_eval = false;
  std::string metric = runs.empty() ? std::string() : runs.front().metric;
  for (const auto& r : runs) {
    if (r.metric != metric) metric = layout::kLoss;  // mixed: the one every run has
    any_eval |= r.has_eval;
  }
  p.metric = !any_eval ? "" : metric;

  const std::size_t nrow_keys = keys.size() == 1 ? 1 : keys.size() - 1;
  auto value = [&](std::size_t run, const std::string& key) {
    auto it = values[run].find(key);
    return it == values[run].end() ? std::string("-") : it->second;
  };
  // Rows: sorted by each row key in turn (its own value order).
  std::vector<std::vector<std::string>> order(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    std::set<std::string> vs;
    for (std::size_t i = 0; i < runs.size(); ++i) vs.insert(value(i, keys[k]));
    order[k] = sorted_values(vs);
  }
  auto rank = [&](std::size_t k, const std::string& v) {
    return std::size_t(std::find(order[k].begin(), order[k].end(), v) - order[k].begin());
  };
  std::set<std::vector<std::size_t>> row_ranks;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::vector<std::size_t> rr;
    for (std::size_t k = 0; k < nrow_keys; ++k) rr.push_back(rank(k, value(i, keys[k])));
    row_ranks.insert(rr);
  }
  for (const auto& rr : row_ranks) {
    std::vector<std::string> row;
    for (std::size_t k = 0; k < nrow_keys; ++k) row.push_back(order[k][rr[k]]);
    p.rows.push_back(row);
  }
  p.cols = keys.size() == 1 ? std::vector<std::string>{""} : order.back();

  std::map<std::pair<std::size_t, std::size_t>, std::vector<double>> fm, bm, tl, ms;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::vector<std::string> row;
    for (std::size_t k = 0; k < nrow_keys; ++k) row.push_back(value(i, keys[k]));
    const std::size_t ri =
        std::size_t(std::find(p.rows.begin(), p.rows.end(), row) - p.rows.begin());
    const std::size_t ci = keys.size() == 1 ? 0 : rank(keys.size() - 1, value(i, keys.back()));
    const auto key = std::make_pair(ri, ci);
    const RunRecord& r = runs[i];
    p.cells[key].runs.push_back(&r);
    const Series* ev = p.metric.empty() ? nullptr : eval_series(r, p.metric);
    if (ev && !ev->value.empty()) {
      ++p.cells[key].with_eval;
      fm[key].push_back(last_logged(ev->value));
      bm[key].push_back(best_logged(ev->value, higher_is_better(p.metric)));
    }
    tl[key].push_back(r.final_train_loss);
    ms[key].push_back(r.ms_per_step);
  }
  for (auto& [key, c] : p.cells) {
    c.final_metric = stat_of(fm[key]);
    c.best_metric = stat_of(bm[key]);
    c.train_loss = stat_of(tl[key]);
    c.ms_per_step = stat_of(ms[key]);
  }
  return p;
}

}  // namespace rnnlab
