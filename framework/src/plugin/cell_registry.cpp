// CellRegistry: the cells that plugins registered, by name.
//
// add() checks a cell type before accepting it (a name, a factory, a sane schema) so that a
// broken plugin fails when it is loaded, naming itself, rather than when a run first uses it.
// Cell::initial_state / Cell::fused_sequence live in nn/cell_defaults.cpp, not here.
#include <algorithm>
#include <filesystem>
#include <system_error>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"

namespace rnnlab {

namespace {

// "plugin 'lstm' 1.0.0 (/path/librnnlab_plugin_lstm.so)" or "the host program".
std::string origin_str(const CellType& t) {
  if (t.plugin.empty() && t.file.empty()) return "the host program";
  std::string s = "plugin '" + t.plugin + "'";
  if (!t.version.empty()) s += " " + t.version;
  if (!t.file.empty()) s += " (" + t.file + ")";
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

// Problems with a cell type's declaration (empty when fine).
std::vector<std::string> check_type(const CellType& t) {
  std::vector<std::string> problems;
  if (!t.create) problems.push_back("no create function");
  std::set<std::string> seen;
  for (const auto& s : t.schema) {
    const std::string p = "parameter '" + s.name + "': ";
    if (s.name.empty()) {
      problems.push_back("a parameter has an empty name");
      continue;
    }
    if (!seen.insert(s.name).second) problems.push_back(p + "declared twice");
    if (s.min > s.max) problems.push_back(p + "min > max");
    if (s.type == ParamType::choice && s.choices.empty())
      problems.push_back(p + "a choice without choices");
    if (!s.required) {
      const std::string err = check_param_value(s, s.default_value);
      if (!err.empty()) problems.push_back(p + "bad default: " + err);
    }
  }
  return problems;
}

}  // namespace

void CellRegistry::set_origin(std::string plugin, std::string version, std::string file) {
  origin_plugin_ = std::move(plugin);
  origin_version_ = std::move(version);
  origin_file_ = std::move(file);
}

CellType CellRegistry::stamped(CellType type) const {
  // While a plugin registers, the loader has set the origin; a cell added by the host program
  // (tests, embedding) keeps whatever it says about itself.
  if (!origin_plugin_.empty() || !origin_file_.empty()) {
    type.plugin = origin_plugin_;
    type.version = origin_version_;
    type.file = origin_file_;
  }
  if (type.name.empty())
    throw InputError(origin_str(type) + " registers a cell with an empty name");
  const std::vector<std::string> problems = check_type(type);
  if (!problems.empty()) {
    std::string msg =
        "cell '" + type.name + "' registered by " + origin_str(type) + " is malformed: ";
    for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    throw InputError(msg);
  }
  return type;
}

void CellRegistry::add(CellType type) {
  type = stamped(std::move(type));
  if (auto it = types_.find(type.name); it != types_.end()) {
    throw InputError("cell '" + type.name + "' is registered twice: by " + origin_str(it->second) +
                     " and by " + origin_str(type));
  }
  std::string name = type.name;
  types_.emplace(std::move(name), std::move(type));
}

void CellRegistry::add_alternative(CellType type) {
  auto it = types_.find(type.name);
  if (it == types_.end()) {
    add(std::move(type));
    return;
  }
  type = stamped(std::move(type));
  for (const CellType* c : candidates(type.name))
    if (c->file == type.file)
      throw InputError("cell '" + type.name + "' is registered twice by " + origin_str(type));
  std::vector<CellType>& cands = ambiguous_[type.name];
  if (cands.empty()) cands.push_back(it->second);
  cands.push_back(std::move(type));
}

const CellType* CellRegistry::find(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<const CellType*> CellRegistry::candidates(const std::string& name) const {
  std::vector<const CellType*> out;
  if (auto a = ambiguous_.find(name); a != ambiguous_.end()) {
    for (const CellType& c : a->second) out.push_back(&c);
  } else if (const CellType* t = find(name)) {
    out.push_back(t);
  }
  return out;
}

std::string CellRegistry::ambiguity(const std::string& name) const {
  auto a = ambiguous_.find(name);
  if (a == ambiguous_.end()) return "";
  std::string msg = "cell '" + name + "' is ambiguous: " + std::to_string(a->second.size()) +
                    " plugins register it: ";
  for (std::size_t i = 0; i < a->second.size(); ++i)
    msg += (i ? (i + 1 == a->second.size() ? " and " : ", ") : "") + origin_str(a->second[i]);
  msg += "; pick one with --cell-from " + name + "=<plugin name or .so file> (or RNNLAB_CELL_FROM=" +
         name + "=...), or remove the other from the plugin path";
  return msg;
}

void CellRegistry::pick(const std::string& cell, const std::string& plugin_or_file) {
  const std::vector<const CellType*> cands = candidates(cell);
  if (cands.empty()) {
    (void)get(cell);  // throws: unknown cell, with "did you mean"
    return;
  }
  std::error_code ec;
  const std::filesystem::path given(plugin_or_file);
  const std::filesystem::path canon = std::filesystem::weakly_canonical(given, ec);
  const CellType* chosen = nullptr;
  for (const CellType* c : cands) {
    const std::filesystem::path f(c->file);
    if (c->plugin == plugin_or_file || c->file == plugin_or_file ||
        (!ec && !c->file.empty() && canon == f) ||
        (!c->file.empty() && f.filename() == given && given.has_filename() &&
         given.filename() == given)) {
      if (chosen)
        throw InputError("--cell-from " + cell + "=" + plugin_or_file +
                         ": matches more than one plugin (" + origin_str(*chosen) + " and " +
                         origin_str(*c) + "); give the .so file's full path");
      chosen = c;
    }
  }
  if (!chosen) {
    std::string msg = "--cell-from " + cell + "=" + plugin_or_file +
                      ": no plugin of that name or file provides cell '" + cell + "'; it comes from ";
    for (std::size_t i = 0; i < cands.size(); ++i) msg += (i ? " or " : "") + origin_str(*cands[i]);
    throw InputError(msg);
  }
  if (cands.size() == 1) return;
  CellType keep = *chosen;
  ambiguous_.erase(cell);
  types_[cell] = std::move(keep);
}

void CellRegistry::add_unloadable(const std::string& name, const std::string& reason) {
  unloadable_[name] = reason;
}

const CellType& CellRegistry::get(const std::string& name) const {
  if (const std::string amb = ambiguity(name); !amb.empty()) throw InputError(amb);
  if (const CellType* t = find(name)) return *t;
  if (auto u = unloadable_.find(name); u != unloadable_.end())
    throw InputError("cell '" + name + "' is not available: its plugin file was skipped: " +
                     u->second);
  const std::vector<std::string> known = names();
  std::string msg = "unknown cell '" + name + "'";
  const std::string near = closest_name(name, known);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  if (known.empty())
    msg += "; no cells are loaded (no plugins found: check --plugin-path / RNNLAB_PLUGIN_PATH)";
  else
    msg += "; known cells: " + join(known);
  if (!unloadable_.empty()) {
    msg += "; plugin files skipped because they could not be loaded:";
    for (const auto& [n, why] : unloadable_) msg += "\n  " + why;
  }
  throw InputError(msg);
}

std::vector<std::string> CellRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(types_.size());
  for (const auto& [name, t] : types_) out.push_back(name);  // std::map: already sorted
  return out;
}

std::vector<ParamSpec> CellRegistry::schema_for(
    const std::string& name, const std::map<std::string, ParamValue>& given) const {
  const CellType& type = get(name);
  if (!type.expand_schema) return type.schema;
  std::vector<ParamSpec> schema = type.expand_schema(*this, given);
  CellType probe;  // the expanded schema must be as sane as a registered one
  probe.name = name;
  probe.schema = schema;
  probe.create = type.create;
  const std::vector<std::string> problems = check_type(probe);
  if (!problems.empty()) {
    std::string msg =
        "cell '" + name + "' from " + origin_str(type) + ": its expanded schema is malformed: ";
    for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    throw InputError(msg);
  }
  return schema;
}

std::unique_ptr<Cell> CellRegistry::create(const std::string& name,
                                           const std::map<std::string, ParamValue>& given,
                                           int64_t input_size, ParameterStore& params,
                                           const std::string& prefix, Rng& rng) const {
  const CellType& type = get(name);
  // The config lives only for the duration of the factory call: a cell copies what it needs.
  const CellConfig config = CellConfig::resolve(name, schema_for(name, given), given);
  if (input_size <= 0)
    throw InputError("cell '" + name + "': expected an input size >= 1, found " +
                     std::to_string(input_size));
  CellArgs args{config, input_size, params, prefix, rng, this};
  std::unique_ptr<Cell> cell;
  try {
    cell = type.create(args);
  } catch (const InputError&) {
    throw;  // the user's input: the cell's own message says what is wrong
  } catch (...) {
    // A bug in the cell: say which cell (and where in the model: the prefix) and which plugin.
    throw Error("cell '" + name + "' (" + prefix + ") from " + origin_str(type) +
                ": building it failed: " + describe_current_exception());
  }
  if (!cell)
    throw InputError("cell '" + name + "' from " + origin_str(type) +
                     ": its create function returned no cell");
  return cell;
}

}  // namespace rnnlab
