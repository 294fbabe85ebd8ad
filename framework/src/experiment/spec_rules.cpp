// The spec editing rules of spec_keys.h that are not about keys: the train block's (steps and
// epochs replace each other, another optimizer replaces the old one with its arguments), the
// schema of a layer, schema look-ups and the "did you mean" notes of every unknown name.
#include <algorithm>

#include "rnnlab/spec_keys.h"

namespace rnnlab {

void drop_replaced_length(ArgMap& settings, const std::string& name) {
  if (name == "steps") settings.erase("epochs");
  if (name == "epochs") settings.erase("steps");
}

void set_optimizer(TrainSpec& train, const std::string& name, const SourceLoc& loc) {
  if (name == train.optimizer) return;
  train.optimizer_args.clear();
  train.optimizer = name;
  train.optimizer_loc = loc;
}

void merge_train(TrainSpec& base, const TrainSpec& over,
                 const std::function<void(ArgSpec& slot, const ArgSpec& from)>& written) {
  // Key by key, in the map's order: `over` holding both steps and epochs leaves steps alone
  // (the compiler reports such a block where it is written).
  for (const auto& [key, arg] : over.settings) {
    drop_replaced_length(base.settings, key);
    ArgSpec& slot = base.settings[key];
    slot = arg;
    if (written) written(slot, arg);
  }
  if (!over.optimizer.empty()) {
    set_optimizer(base, over.optimizer, over.optimizer_loc);
    base.optimizer_loc = over.optimizer_loc;
  }
  // Arguments without a name (a model's `model.M.train.optimizer.lr`) go to base's optimizer.
  for (const auto& [key, arg] : over.optimizer_args) {
    ArgSpec& slot = base.optimizer_args[key];
    slot = arg;
    if (written) written(slot, arg);
  }
}

bool is_cell(const Catalog& catalog, const std::string& kind) {
  return catalog.cells().find(kind) != nullptr;
}

std::optional<std::vector<ParamSpec>> find_layer_schema(const Catalog& catalog,
                                                        const LayerSpec& layer) {
  if (is_cell(catalog, layer.kind))
    return catalog.cells().schema_for(layer.kind, values_of(layer.args));
  if (const SchemaEntry* e = catalog.find_layer(layer.kind)) return e->schema;
  return std::nullopt;
}

std::optional<std::vector<ParamSpec>> layer_schema_or_declared(const Catalog& catalog,
                                                               const LayerSpec& layer) {
  try {
    return find_layer_schema(catalog, layer);
  } catch (const std::exception&) {
    return catalog.cells().find(layer.kind)->schema;
  }
}

const ParamSpec* find_param(const std::vector<ParamSpec>& schema, const std::string& name) {
  for (const auto& s : schema)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> param_names(const std::vector<ParamSpec>& schema) {
  std::vector<std::string> out;
  for (const auto& s : schema) out.push_back(s.name);
  return out;
}

std::vector<std::string> suggest(const std::string& word, std::vector<std::string> candidates,
                                 const std::string& what) {
  std::sort(candidates.begin(), candidates.end());
  std::vector<std::string> notes;
  const std::string near = closest_name(word, candidates);
  if (!near.empty()) notes.push_back("did you mean '" + near + "'?");
  if (candidates.empty()) {
    notes.push_back("there are no " + what);
  } else {
    std::string known;
    for (const auto& c : candidates) known += (known.empty() ? "" : ", ") + c;
    notes.push_back("known " + what + ": " + known);
  }
  return notes;
}

}  // namespace rnnlab
