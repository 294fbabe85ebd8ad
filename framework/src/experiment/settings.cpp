// apply_setting: one `key = value` (a sweep axis or an override) applied to a spec. The key
// syntax is documented in runner.h; values are checked later, when the run is resolved.
#include <algorithm>
#include <string>
#include <vector>

#include "experiment/resolve_util.h"
#include "rnnlab/runner.h"

namespace rnnlab {

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool is_train_setting(const Catalog& catalog, const std::string& name) {
  for (const auto& s : catalog.train_settings())
    if (s.name == name) return true;
  return false;
}

bool is_optimizer_arg(const Catalog& catalog, const std::string& name) {
  for (const auto& o : catalog.optimizers())
    for (const auto& p : o.schema)
      if (p.name == name) return true;
  return false;
}

bool schema_has(const std::vector<ParamSpec>& schema, const std::string& name) {
  return std::any_of(schema.begin(), schema.end(),
                     [&](const ParamSpec& p) { return p.name == name; });
}

ArgSpec located(const ParamValue& v, const std::string& key) {
  return ArgSpec{v, SourceLoc{"setting '" + key + "'", 0, 0}};
}

// Sets a train-block key ("batch", "optimizer", "lr", "optimizer.lr") in `train`.
void apply_train(TrainSpec& train, const std::vector<std::string>& p, std::size_t i,
                 const std::string& key, const ParamValue& value, const Catalog& catalog) {
  const std::size_t n = p.size() - i;
  if (n == 1 && p[i] == "optimizer") {
    const auto* name = std::get_if<std::string>(&value);
    RNNLAB_CHECK_INPUT(name, "setting '", key, "': expected an optimizer name, found ",
                       param_value_str(value));
    if (*name != train.optimizer) train.optimizer_args.clear();
    train.optimizer = *name;
    return;
  }
  if (n == 2 && p[i] == "optimizer") {
    train.optimizer_args[p[i + 1]] = located(value, key);
    return;
  }
  if (n == 1 && is_train_setting(catalog, p[i])) {
    // steps and epochs exclude each other: setting one clears the other.
    if (p[i] == "steps") train.settings.erase("epochs");
    if (p[i] == "epochs") train.settings.erase("steps");
    train.settings[p[i]] = located(value, key);
    return;
  }
  if (n == 1 && is_optimizer_arg(catalog, p[i])) {
    train.optimizer_args[p[i]] = located(value, key);
    return;
  }
  std::vector<std::string> names;
  for (const auto& s : catalog.train_settings()) names.push_back(s.name);
  std::string msg = "setting '" + key + "': unknown train setting '" + p[i] + "'";
  const std::string near = closest_name(p[i], names);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  throw InputError(msg);
}

void apply_model(ModelSpec& m, const std::vector<std::string>& p, const std::string& key,
                 const ParamValue& value, const Catalog& catalog) {
  // p = {"model", name, ...}
  if (p.size() >= 4 && p[2] == "train") {
    apply_train(m.train_overrides, p, 3, key, value, catalog);
    return;
  }
  LayerSpec* target = nullptr;
  std::string arg;
  if (p.size() == 3) {
    // model.M.P: M's first cell (as the .rnn compiler reads it); a model without cells: the
    // first layer whose schema has P.
    arg = p[2];
    for (auto& l : m.layers)
      if (detail::is_cell(catalog, l.kind)) {
        target = &l;
        break;
      }
    if (!target)
      for (auto& l : m.layers)
        if (schema_has(detail::layer_schema(catalog, l), arg)) {
          target = &l;
          break;
        }
    RNNLAB_CHECK_INPUT(target, "setting '", key, "': no layer of model '", m.name,
                       "' has a parameter '", arg, "'");
  } else if (p.size() == 4) {
    arg = p[3];
    std::string sel = p[2];
    if (sel.rfind("layer", 0) == 0 && sel.size() > 5 &&
        std::all_of(sel.begin() + 5, sel.end(), ::isdigit))
      sel = sel.substr(5);  // layerK
    const bool numeric = !sel.empty() && std::all_of(sel.begin(), sel.end(), ::isdigit);
    if (numeric) {
      const std::size_t k = std::stoul(sel);
      RNNLAB_CHECK_INPUT(k < m.layers.size(), "setting '", key, "': model '", m.name, "' has ",
                         m.layers.size(), " layers (0..", m.layers.size() - 1, ")");
      target = &m.layers[k];
    } else {
      for (auto& l : m.layers)
        if (l.kind == sel) {
          target = &l;
          break;
        }
      RNNLAB_CHECK_INPUT(target, "setting '", key, "': model '", m.name, "' has no layer '",
                         sel, "'");
    }
  } else {
    throw InputError("setting '" + key + "': expected model.<name>.<arg>, "
                     "model.<name>.<layer>.<arg> or model.<name>.train.<setting>");
  }
  target->args[arg] = located(value, key);
}

}  // namespace

void apply_setting(ExperimentSpec& spec, const std::string& key, const ParamValue& value,
                   const Catalog& catalog) {
  const std::vector<std::string> p = split_key(key);
  RNNLAB_CHECK_INPUT(std::none_of(p.begin(), p.end(), [](auto& s) { return s.empty(); }),
                     "setting '", key, "': empty key component");
  if (p.size() == 1 && p[0] == "seed") {
    const auto* s = std::get_if<int64_t>(&value);
    RNNLAB_CHECK_INPUT(s && *s >= 0, "setting 'seed': expected an integer >= 0, found ",
                       param_value_str(value));
    spec.seed = static_cast<uint64_t>(*s);
  } else if (p.size() == 1 && p[0] == "backend") {
    const auto* s = std::get_if<std::string>(&value);
    RNNLAB_CHECK_INPUT(s && (*s == "cpu" || *s == "cuda"),
                       "setting 'backend': expected 'cpu' or 'cuda', found ",
                       param_value_str(value));
    spec.backend = *s;
  } else if (p.size() == 2 && p[0] == "data") {
    spec.data.args[p[1]] = located(value, key);
  } else if (p[0] == "train" && p.size() >= 2) {
    apply_train(spec.train, p, 1, key, value, catalog);
  } else if (p[0] == "optimizer" && p.size() == 2) {
    spec.train.optimizer_args[p[1]] = located(value, key);
  } else if (p[0] == "model" && p.size() >= 3) {
    auto it = std::find_if(spec.models.begin(), spec.models.end(),
                           [&](const ModelSpec& m) { return m.name == p[1]; });
    if (it == spec.models.end()) {
      std::vector<std::string> names;
      for (const auto& m : spec.models) names.push_back(m.name);
      std::string msg = "setting '" + key + "': no model '" + p[1] + "'";
      const std::string near = closest_name(p[1], names);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      throw InputError(msg);
    }
    apply_model(*it, p, key, value, catalog);
  } else {
    throw InputError("setting '" + key +
                     "': unknown key; expected seed, backend, data.<arg>, train.<setting>, "
                     "optimizer.<arg> or model.<name>.<arg>");
  }
}

}  // namespace rnnlab
