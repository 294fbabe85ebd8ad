// `rnnlab report --by KEYS` (see report_pivot.h).
#include "report_pivot.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <set>

#include "cli_common.h"
#include "report_format.h"
#include "rnnlab/run_layout.h"

namespace rnnlab::cli {

namespace {

bool is_cell_kind(const std::string& kind) {
  return kind != "dense" && kind != "embedding" && kind != "dropout";
}

// Tokens of canonical .rnn text (dsl::print): words and numbers, strings without their
// quotes, and the punctuation { } ( ) : , = -> as tokens of their own.
std::vector<std::string> tokens_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '"') {
      std::string s;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        s += text[i];
      }
      ++i;
      out.push_back(s);
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '>') {
      out.push_back("->");
      i += 2;
    } else if (std::string("{}():,=[]").find(c) != std::string::npos) {
      out.emplace_back(1, c);
      ++i;
    } else {
      std::size_t j = i;
      while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) &&
             std::string("{}():,=[]\"#").find(text[j]) == std::string::npos &&
             !(text[j] == '-' && j + 1 < text.size() && text[j + 1] == '>'))
        ++j;
      out.push_back(text.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

// The dotted keys of a resolved spec (see report_pivot.h). Stops quietly at anything it does
// not expect: the keys read so far are kept.
std::map<std::string, std::string> resolved_keys(const std::string& text,
                                                 std::map<std::string, std::string>& cell_args) {
  std::map<std::string, std::string> keys;
  const auto t = tokens_of(text);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return k < t.size() ? t[k] : std::string(); };
  // "(k: v, k: v)" at t[i] == "(": calls put(k, v); leaves i after ")".
  auto args = [&](auto put) {
    for (++i; i < t.size() && t[i] != ")";) {
      if (at(i + 1) != ":") return false;
      put(t[i], at(i + 2));
      i += 3;
      if (at(i) == ",") ++i;
    }
    ++i;
    return true;
  };
  if (at(0) == "experiment" && at(2) == "{") i = 3;
  while (i < t.size() && t[i] != "}") {
    const std::string word = t[i];
    if ((word == "seed" || word == "backend") && i + 1 < t.size()) {
      keys[word] = t[i + 1];
      i += 2;
    } else if (word == "data" && at(i + 2) == "{") {
      keys["data"] = at(i + 1);
      for (i += 3; i + 1 < t.size() && t[i] != "}"; i += 2) keys["data." + t[i]] = t[i + 1];
      ++i;
    } else if (word == "model" && at(i + 2) == "=") {
      const std::string m = at(i + 1);
      std::string layers;
      bool cell_seen = false;
      int k = 0;
      for (i += 3; i < t.size(); ++k) {
        const std::string kind = t[i++];
        layers += (layers.empty() ? "" : "->") + kind;
        const bool first_cell = !cell_seen && is_cell_kind(kind);
        if (first_cell) keys["cell"] = kind;
        cell_seen |= first_cell;
        if (at(i) == "(" && !args([&](const std::string& a, const std::string& v) {
              keys["model." + m + ".layer" + std::to_string(k) + "." + a] = v;
              if (first_cell) {
                keys["model." + m + "." + a] = v;
                cell_args[a] = v;
              }
            }))
          return keys;
        if (at(i) != "->") break;
        ++i;
      }
      keys["layers"] = layers;
    } else if (word == "train" && at(i + 1) == "{") {
      for (i += 2; i < t.size() && t[i] != "}";) {
        const std::string name = t[i];
        if (name == "optimizer") {
          keys["train.optimizer"] = at(i + 1);
          i += 2;
          if (at(i) == "(" && !args([&](const std::string& a, const std::string& v) {
                keys["train.optimizer." + a] = v;
              }))
            return keys;
        } else {
          keys["train." + name] = at(i + 1);
          i += 2;
        }
      }
      ++i;
    } else {
      return keys;
    }
  }
  return keys;
}

// The same dotted keys from /config/values (run_record.h: cell, cell.<arg>, layer<k>.kind,
// layer<k>.<arg>, data.source, data.<arg>, train.<setting>, train.optimizer, optimizer.<arg>).
std::map<std::string, std::string> values_keys(const RunRecord& r,
                                               std::map<std::string, std::string>& cell_args) {
  std::map<std::string, std::string> keys;
  std::map<int, std::string> kinds;
  for (const auto& [k, v] : r.values) {
    if (k.starts_with("cell.")) {
      cell_args[k.substr(5)] = v;
      keys["model." + r.model + "." + k.substr(5)] = v;
    } else if (k.starts_with("layer") && k.ends_with(".kind")) {
      kinds[std::atoi(k.c_str() + 5)] = v;
    } else if (k.starts_with("layer")) {
      keys["model." + r.model + "." + k] = v;
    } else if (k == "data.source") {
      keys["data"] = v;
    } else if (k.starts_with("optimizer.")) {
      keys["train." + k] = v;
    } else {
      keys[k] = v;  // seed, backend, model, cell, data.<arg>, train.<setting>, train.optimizer
    }
  }
  std::string layers;
  for (const auto& [k, kind] : kinds) layers += (layers.empty() ? "" : "->") + kind;
  if (!layers.empty()) keys["layers"] = layers;
  return keys;
}

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
  const bool numeric = std::all_of(out.begin(), out.end(), [&](const std::string& s) {
    return as_number(s, a);
  });
  if (numeric)
    std::stable_sort(out.begin(), out.end(), [&](const std::string& x, const std::string& y) {
      as_number(x, a);
      as_number(y, b);
      return a < b;
    });
  return out;
}

}  // namespace

std::map<std::string, std::string> run_keys(const RunRecord& r) {
  // Typed /config/values where the file has them (rnnlab run since they exist), else the
  // /config/resolved text.
  std::map<std::string, std::string> cell_args;
  std::map<std::string, std::string> keys =
      r.values.empty() ? resolved_keys(r.resolved, cell_args) : values_keys(r, cell_args);
  // Leaf aliases: the first cell's arguments (so nstep's `cell: lstm` is the run's cell), then
  // every other unambiguous last component.
  std::map<std::string, int> leaf_count;
  for (const auto& [k, v] : keys)
    if (k.find('.') != std::string::npos) ++leaf_count[k.substr(k.rfind('.') + 1)];
  std::map<std::string, std::string> out = cell_args;
  for (const auto& [k, v] : keys) {
    out.emplace(k, v);
    if (k.find('.') == std::string::npos) continue;
    const std::string leaf = k.substr(k.rfind('.') + 1);
    if (leaf_count[leaf] == 1 && !keys.count(leaf)) out.emplace(leaf, v);
  }
  for (const auto& [k, v] : r.values) out.emplace(k, v);  // also by their own names (cell.hidden)
  out["experiment"] = r.experiment;
  out["model"] = r.model;
  out["group"] = r.group;
  out["seed"] = std::to_string(r.seed);
  out["status"] = r.status;
  for (const auto& [name, value] : r.attrs)
    if (name == layout::kBackend || name == layout::kHost) out[name] = value;
  // The sweep id's "leaf=value" pairs ('_' also occurs inside leaves such as forget_bias: a
  // piece without '=' belongs to the next pair's leaf).
  std::string sweep_id, pending;
  for (const auto& [name, value] : r.attrs)
    if (name == layout::kSweepId) sweep_id = value;
  std::size_t start = 0;
  while (start < sweep_id.size()) {
    std::size_t end = sweep_id.find('_', start);
    if (end == std::string::npos) end = sweep_id.size();
    const std::string part = sweep_id.substr(start, end - start);
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos) {
      pending += part + "_";
    } else {
      out.emplace(pending + part.substr(0, eq), part.substr(eq + 1));
      pending.clear();
    }
    start = end + 1;
  }
  return out;
}

std::vector<std::string> parse_by(const std::string& text) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(',', start);
    std::string k = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!k.empty() && std::isspace(static_cast<unsigned char>(k.back()))) k.pop_back();
    while (!k.empty() && std::isspace(static_cast<unsigned char>(k.front()))) k.erase(0, 1);
    if (k.empty()) throw UsageError("rnnlab report --by: an empty key in '" + text + "'");
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
      throw UsageError("rnnlab report --by: unknown key '" + k + "'; the keys of these runs: " +
                       list);
    }
  bool accuracy = true, any_eval = false;
  for (const auto& r : runs) {
    accuracy &= r.accuracy;
    any_eval |= r.has_eval;
  }
  p.metric = !any_eval ? "" : (accuracy ? "accuracy" : "loss");

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
    const std::size_t ri = std::size_t(std::find(p.rows.begin(), p.rows.end(), row) - p.rows.begin());
    const std::size_t ci = keys.size() == 1 ? 0 : rank(keys.size() - 1, value(i, keys.back()));
    const auto key = std::make_pair(ri, ci);
    const RunRecord& r = runs[i];
    p.cells[key].runs.push_back(&r);
    const std::vector<double>& ev = p.metric == "accuracy" ? r.eval_accuracy.value : r.eval_loss.value;
    if (!ev.empty()) {
      ++p.cells[key].with_eval;
      fm[key].push_back(last_logged(ev));
      bm[key].push_back(best_logged(ev, p.metric == "accuracy"));
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

std::string pivot_cell_text(const PivotCell& c) {
  if (c.runs.empty()) return "";
  return pm(c.final_metric, c.with_eval) + " (" + std::to_string(c.runs.size()) + ")";
}

void print_pivot_table(const Pivot& p) {
  const std::string metric = p.metric.empty() ? "no eval metric" : "final eval " + p.metric;
  std::vector<std::vector<std::string>> rows;
  if (p.keys.size() == 1) {
    std::cout << metric << " by " << p.keys[0] << ", mean ± std over the runs (n)\n";
    rows.push_back({p.keys[0], "runs", "final eval", "best eval", "train loss", "ms/step"});
    for (std::size_t r = 0; r < p.rows.size(); ++r) {
      const PivotCell& c = p.cells.at({r, 0});
      rows.push_back({p.rows[r][0], std::to_string(c.runs.size()),
                      pm(c.final_metric, c.with_eval), pm(c.best_metric, c.with_eval),
                      num(c.train_loss.mean, "%.4g"), num(c.ms_per_step.mean, "%.3f")});
    }
  } else {
    std::string row_keys;
    for (std::size_t k = 0; k + 1 < p.keys.size(); ++k) row_keys += (k ? ", " : "") + p.keys[k];
    std::cout << metric << ": rows " << row_keys << ", columns " << p.keys.back()
              << "; mean ± std over the runs (n)\n";
    std::vector<std::string> head(p.keys.begin(), p.keys.end() - 1);
    head.back() += " \\ " + p.keys.back();
    for (const auto& c : p.cols) head.push_back(c);
    rows.push_back(head);
    for (std::size_t r = 0; r < p.rows.size(); ++r) {
      std::vector<std::string> line = p.rows[r];
      for (std::size_t c = 0; c < p.cols.size(); ++c) {
        auto it = p.cells.find({r, c});
        line.push_back(it == p.cells.end() ? "" : pivot_cell_text(it->second));
      }
      rows.push_back(line);
    }
  }
  print_rows(rows);
}

void print_pivot_csv(const Pivot& p) {
  for (const auto& k : p.keys) std::cout << k << ",";
  std::cout << "runs,runs_with_eval,metric,final_mean,final_std,best_mean,best_std,"
               "train_loss_mean,ms_per_step_mean\n";
  for (const auto& [key, c] : p.cells) {
    for (const auto& v : p.rows[key.first]) std::cout << v << ",";
    if (p.keys.size() > 1) std::cout << p.cols[key.second] << ",";
    std::cout << c.runs.size() << "," << c.with_eval << "," << p.metric << ","
              << full(c.final_metric.mean) << "," << full(c.final_metric.std) << ","
              << full(c.best_metric.mean) << "," << full(c.best_metric.std) << ","
              << full(c.train_loss.mean) << "," << full(c.ms_per_step.mean) << "\n";
  }
}

}  // namespace rnnlab::cli
