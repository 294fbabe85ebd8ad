// run_keys: the keys of a run for pivot tables (see rnnlab/run_pivot.h).
#include <cctype>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "rnnlab/run_layout.h"
#include "rnnlab/run_pivot.h"

namespace rnnlab {

namespace {

bool is_cell_kind(const std::string& kind) {
  return kind != "dense" && kind != "embedding" && kind != "dropout";
}

// Tokens of canonical .rnn text (describe_spec, spec_text.h): words and numbers, strings without
// their quotes, and the punctuation { } ( ) : , = -> as tokens of their own.
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

// The dotted keys of a resolved spec (see run_pivot.h). Stops quietly at anything it does
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

}  // namespace rnnlab
