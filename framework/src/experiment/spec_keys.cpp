// resolve_key and apply_setting: the key grammar of spec_keys.h. Every message here is what
// `rnnlab check` shows at the key's column and what `rnnlab run` puts after "setting 'KEY': ".
#include "rnnlab/spec_keys.h"

#include <algorithm>
#include <cctype>

#include "rnnlab/runner.h"

namespace rnnlab {

const char* const kKeyForms =
    "keys: seed, backend, data.PARAM, train.PARAM, train.optimizer.PARAM, model.NAME.PARAM, "
    "model.NAME.layerN.PARAM, model.NAME.train.PARAM";

namespace {

struct Part {
  std::string text;
  std::size_t offset;  // in the key
};

std::vector<Part> split(const std::string& key) {
  std::vector<Part> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.push_back({key.substr(start, dot == std::string::npos ? dot : dot - start), start});
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string sq(const std::string& s) { return "'" + s + "'"; }

KeyResolution fail(std::size_t offset, std::string message, std::vector<std::string> notes = {}) {
  return KeyResolution{std::nullopt, KeyError{offset, std::move(message), std::move(notes)}};
}

KeyResolution found(KeyTarget t) { return KeyResolution{std::move(t), std::nullopt}; }

// The optimizer a parameter of block `t` belongs to: t's, else the experiment's, else adam.
std::string optimizer_in_effect(const ExperimentSpec& spec, const TrainSpec& t) {
  if (!t.optimizer.empty()) return t.optimizer;
  return spec.train.optimizer.empty() ? "adam" : spec.train.optimizer;
}

// P of the optimizer in effect for block `t` (optimizer.P, train.optimizer.P, train.P).
KeyResolution optimizer_arg(ExperimentSpec& spec, TrainSpec& t, const Part& p,
                            const Catalog& cat) {
  const std::string opt_name = optimizer_in_effect(spec, t);
  KeyTarget k;
  k.args = &t.optimizer_args;
  k.name = p.text;
  const SchemaEntry* opt = cat.find_optimizer(opt_name);
  if (!opt) return found(k);  // an unknown optimizer: reported where it is named
  if (const ParamSpec* s = find_param(opt->schema, p.text)) {
    k.spec = *s;
    return found(k);
  }
  return fail(p.offset, "unknown parameter " + sq(p.text) + " of optimizer " + sq(opt_name),
              suggest(p.text, param_names(opt->schema), "parameters of optimizer " + sq(opt_name)));
}

// p[i...] in train block `t` (the experiment's, or a model's overrides).
KeyResolution train_key(ExperimentSpec& spec, TrainSpec& t, const std::vector<Part>& p,
                        std::size_t i, const Catalog& cat) {
  KeyTarget k;
  k.args = &t.settings;
  k.train = &t;
  k.name = p[i].text;
  if (p.size() == i + 1) {
    if (p[i].text == "loss") {
      k.spec = loss_schema(cat);
      return found(k);
    }
    if (p[i].text == "optimizer") {
      k.kind = KeyTarget::Kind::optimizer;
      k.spec = optimizer_schema(cat);
      return found(k);
    }
    if (const ParamSpec* s = find_param(cat.train_settings(), p[i].text)) {
      k.spec = *s;
      return found(k);
    }
    if (const SchemaEntry* opt = cat.find_optimizer(optimizer_in_effect(spec, t)))
      if (find_param(opt->schema, p[i].text)) return optimizer_arg(spec, t, p[i], cat);
    return fail(p[i].offset, "unknown train setting " + sq(p[i].text),
                suggest(p[i].text, train_block_names(cat), "train settings"));
  }
  if (p.size() == i + 2 && p[i].text == "optimizer") return optimizer_arg(spec, t, p[i + 1], cat);
  return fail(0, "unknown key", {kKeyForms});
}

// Parameter p of `layer`, the layer named `where` in messages.
KeyResolution layer_key(LayerSpec& layer, const Part& p, const std::string& where,
                        const Catalog& cat) {
  KeyTarget k;
  k.args = &layer.args;
  k.name = p.text;
  const auto schema = layer_schema_or_declared(cat, layer);
  if (!schema) return found(k);  // an unknown kind: reported at the layer
  if (const ParamSpec* s = find_param(*schema, p.text)) {
    k.spec = *s;
    return found(k);
  }
  return fail(p.offset, "unknown parameter " + sq(p.text) + " of " + layer.kind + " (" + where + ")",
              suggest(p.text, param_names(*schema), "parameters of " + layer.kind));
}

bool all_digits(const std::string& s, std::size_t from) {
  return s.size() > from && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from), s.end(),
                                        [](char ch) { return std::isdigit((unsigned char)ch); });
}

KeyResolution model_key(ExperimentSpec& spec, const std::vector<Part>& p, const Catalog& cat) {
  if (p.size() < 3) return fail(0, "unknown key", {kKeyForms});
  auto& models = spec.models;
  auto it = std::find_if(models.begin(), models.end(),
                         [&](const ModelSpec& m) { return m.name == p[1].text; });
  if (it == models.end()) {
    std::vector<std::string> names;
    for (const auto& m : models) names.push_back(m.name);
    return fail(p[1].offset, "unknown model " + sq(p[1].text), suggest(p[1].text, names, "models"));
  }
  ModelSpec& m = *it;
  const std::string of_model = " of model " + sq(m.name);
  if (p.size() >= 4 && p[2].text == "train") return train_key(spec, m.train_overrides, p, 3, cat);
  if (p.size() == 3) {
    for (std::size_t i = 0; i < m.layers.size(); ++i)
      if (is_cell(cat, m.layers[i].kind))
        return layer_key(m.layers[i], p[2], "layer " + std::to_string(i) + of_model, cat);
    return fail(p[2].offset, "model " + sq(m.name) + " has no cell to take " + sq(p[2].text),
                {"name the layer: model." + m.name + ".layerN." + p[2].text});
  }
  const std::string& sel = p[2].text;
  const std::string forms = "after model." + m.name + " comes PARAM, layerN.PARAM or train.PARAM";
  if (p.size() > 4) return fail(p[4].offset, "unknown key part " + sq(p[4].text), {forms});
  const bool layer_n = sel.rfind("layer", 0) == 0 && all_digits(sel, 5);
  const bool number = all_digits(sel, 0);
  const std::string its_layers =
      m.layers.empty() ? "it has no layers"
                       : "its layers are layer0..layer" + std::to_string(m.layers.size() - 1);
  if (layer_n || number) {
    const std::string digits = sel.substr(layer_n ? 5 : 0);
    const std::size_t idx = digits.size() > 9 ? m.layers.size()
                                              : static_cast<std::size_t>(std::stoull(digits));
    if (idx >= m.layers.size())
      return fail(p[2].offset, "model " + sq(m.name) + " has no " + (layer_n ? sel : "layer " + sel),
                  {its_layers});
    return layer_key(m.layers[idx], p[3], (layer_n ? sel : "layer " + sel) + of_model, cat);
  }
  for (std::size_t i = 0; i < m.layers.size(); ++i)
    if (m.layers[i].kind == sel)
      return layer_key(m.layers[i], p[3], "layer " + std::to_string(i) + of_model, cat);
  return fail(p[2].offset, "unknown key part " + sq(sel),
              {forms, "or a layer kind of the model (KIND.PARAM, its first such layer)"});
}

KeyResolution data_key(ExperimentSpec& spec, const Part& p, const Catalog& cat) {
  KeyTarget k;
  k.args = &spec.data.args;
  k.name = p.text;
  if (spec.data.source.empty()) return fail(0, "there is no data block to set " + sq(p.text) + " in");
  const DataSourceType* src = cat.find_data_source(spec.data.source);
  if (!src) return found(k);  // an unknown source: reported at the data block
  if (const ParamSpec* s = find_param(src->entry.schema, p.text)) {
    k.spec = *s;
    return found(k);
  }
  return fail(p.offset,
              "unknown parameter " + sq(p.text) + " of data source " + sq(spec.data.source),
              suggest(p.text, param_names(src->entry.schema),
                      "parameters of data source " + sq(spec.data.source)));
}

}  // namespace

ParamSpec seed_schema() {
  ParamSpec s;
  s.name = "seed";
  s.type = ParamType::integer;
  s.default_value = int64_t{1};
  s.min = 0;
  s.doc = "random seed of the run";
  return s;
}

ParamSpec backend_schema() {
  ParamSpec s;
  s.name = "backend";
  s.type = ParamType::choice;
  s.default_value = std::string("cpu");
  s.choices = {"cpu", "cuda"};
  s.doc = "where the run computes";
  return s;
}

ParamSpec loss_schema(const Catalog& cat) {
  if (const ParamSpec* s = find_param(cat.train_settings(), "loss")) return *s;
  ParamSpec s;
  s.name = "loss";
  s.type = ParamType::choice;
  s.default_value = cat.losses().empty() ? std::string("mse") : cat.losses().front();
  s.required = true;
  s.choices = cat.losses();
  return s;
}

ParamSpec optimizer_schema(const Catalog& cat) {
  ParamSpec s;
  s.name = "optimizer";
  s.type = ParamType::choice;
  for (const auto& o : cat.optimizers()) s.choices.push_back(o.name);
  s.default_value = s.choices.empty() ? std::string("adam") : s.choices.front();
  return s;
}

std::vector<std::string> train_block_names(const Catalog& cat) {
  std::vector<std::string> known = param_names(cat.train_settings());
  if (!find_param(cat.train_settings(), "loss")) known.push_back("loss");
  known.push_back("optimizer");
  return known;
}

KeyResolution resolve_key(ExperimentSpec& spec, const std::string& key, const Catalog& catalog) {
  const auto p = split(key);
  for (const auto& part : p)
    if (part.text.empty()) return fail(part.offset, "empty key component", {kKeyForms});
  KeyTarget k;
  if (p.size() == 1 && (p[0].text == "seed" || p[0].text == "backend")) {
    const bool seed = p[0].text == "seed";
    k.kind = seed ? KeyTarget::Kind::seed : KeyTarget::Kind::backend;
    k.name = p[0].text;
    k.spec = seed ? seed_schema() : backend_schema();
    return found(k);
  }
  if (p[0].text == "train" && p.size() >= 2) return train_key(spec, spec.train, p, 1, catalog);
  if (p[0].text == "optimizer" && p.size() == 2)
    return optimizer_arg(spec, spec.train, p[1], catalog);
  if (p[0].text == "model") return model_key(spec, p, catalog);
  if (p[0].text == "data" && p.size() == 2) return data_key(spec, p[1], catalog);
  std::vector<std::string> notes;
  const std::string near =
      closest_name(p[0].text, {"seed", "backend", "data", "train", "optimizer", "model"});
  if (!near.empty() && near != p[0].text) notes.push_back("did you mean " + sq(near) + "?");
  notes.push_back(kKeyForms);
  return fail(0, "unknown key " + sq(key), notes);
}

std::string key_error_text(const std::string& key, const KeyError& error) {
  std::string notes;
  for (const auto& n : error.notes) notes += (notes.empty() ? "" : "; ") + n;
  return "setting " + sq(key) + ": " + error.message + (notes.empty() ? "" : " (" + notes + ")");
}

ArgSpec& write_key_arg(const KeyTarget& target, ArgSpec value) {
  if (target.train) drop_replaced_length(*target.args, target.name);
  ArgSpec& slot = (*target.args)[target.name];
  slot = std::move(value);
  return slot;
}

void apply_setting(ExperimentSpec& spec, const std::string& key, const ParamValue& value,
                   const Catalog& catalog) {
  const KeyResolution r = resolve_key(spec, key, catalog);
  if (r.error) throw InputError(key_error_text(key, *r.error));
  const KeyTarget& t = *r.target;
  const SourceLoc at{"setting " + sq(key), 0, 0};
  if (t.kind == KeyTarget::Kind::arg) {
    write_key_arg(t, ArgSpec{value, at});  // checked when the run is resolved
    return;
  }
  ParamValue v = value;
  const std::string err = check_param_value(*t.spec, v);
  RNNLAB_CHECK_INPUT(err.empty(), "setting ", sq(key), ": ", err);
  switch (t.kind) {
    case KeyTarget::Kind::seed: spec.seed = static_cast<uint64_t>(std::get<int64_t>(v)); break;
    case KeyTarget::Kind::backend: spec.backend = std::get<std::string>(v); break;
    default: set_optimizer(*t.train, std::get<std::string>(v), at); break;
  }
}

}  // namespace rnnlab
