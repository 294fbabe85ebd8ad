// Semantic checks of a built spec (after --set overrides), against the catalog's schemas:
// unknown names (with "did you mean" and the known list), unknown/missing parameters, wrong
// types and ranges (check_param_value), steps xor epochs, and the shapes of stacked layers
// where they are decidable. The runner's rule (framework/src/experiment/model_factory.cpp):
// a cell passes every step on ([T,B,H]) when another cell follows it (or the data has per-step
// targets), else its last valid step ([B,H]); dense and dropout keep the form. So:
//   embedding reads token ids: it must be the first layer;
//   a model without any cell ends in a sequence, which a classification loss cannot take.
#include <algorithm>

#include "internal.h"

namespace rnnlab::dsl::detail {

namespace {

bool classification_loss(const std::string& loss) {
  return loss == "softmax_cross_entropy" || loss == "bce_with_logits" ||
         loss == "cross_entropy" || loss == "binary_cross_entropy";
}

std::string where(const SourceLoc& l) {
  return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}

void check_train(Compiler& c, TrainSpec& t, const SourceLoc& loc, bool base) {
  const Catalog& cat = c.catalog;
  const auto& schema = cat.train_settings();
  for (auto& [key, arg] : t.settings) {
    const SourceLoc nloc = c.name_loc_of(arg);
    if (key == "loss") {
      const auto* s = std::get_if<std::string>(&arg.value);
      const auto& losses = cat.losses();
      if (s && std::find(losses.begin(), losses.end(), *s) == losses.end()) {
        c.sink.error(arg.loc, "unknown loss " + sq(*s), suggest(*s, losses, "losses"));
      } else if (!s) {
        ParamSpec spec = loss_schema(cat);
        check_value(c.sink, spec, arg.value, "loss", arg.loc);
      }
      continue;
    }
    const ParamSpec* spec = find_param(schema, key);
    if (!spec) {
      c.sink.error(nloc, "unknown train setting " + sq(key),
                   suggest(key, train_block_names(cat), "train settings"));
      continue;
    }
    check_value(c.sink, *spec, arg.value, "train setting " + sq(key), arg.loc);
  }
  const bool steps = t.settings.count("steps"), epochs = t.settings.count("epochs");
  if (steps && epochs) {
    const ArgSpec& a = t.settings.at("steps");
    const ArgSpec& b = t.settings.at("epochs");
    const bool steps_later = std::make_pair(c.name_loc_of(a).line, c.name_loc_of(a).column) >
                             std::make_pair(c.name_loc_of(b).line, c.name_loc_of(b).column);
    const ArgSpec& later = steps_later ? a : b;
    c.sink.error(c.name_loc_of(later), "give either steps or epochs, not both",
                 {std::string(steps_later ? "epochs" : "steps") + " is given at " +
                  where(c.name_loc_of(steps_later ? b : a))});
  }
  // steps 0 / epochs 0 (written, or by --set) train nothing: refuse it where it is written.
  for (const char* key : {"steps", "epochs"}) {
    auto it = t.settings.find(key);
    if (it == t.settings.end()) continue;
    const auto* n = std::get_if<int64_t>(&it->second.value);
    if (n && *n == 0)
      c.sink.error(it->second.loc, std::string(key) + " 0 trains nothing",
                   {"give steps N (batches) or epochs N (passes over the data) with N >= 1"});
  }
  if (base) {
    if (!steps && !epochs)
      c.sink.error(loc, "the train block needs steps or epochs",
                   {"e.g. steps 10000 (batches) or epochs 30 (passes over the data)"});
    const ParamSpec* loss = find_param(schema, "loss");
    if (!t.settings.count("loss") && (!loss || loss->required))
      c.sink.error(loc, "the train block needs a loss",
                   {"known losses: " + join(cat.losses())});
    for (const auto& spec : schema)
      if (spec.required && spec.name != "loss" && !t.settings.count(spec.name))
        c.sink.error(loc, "the train block needs " + sq(spec.name),
                     {sq(spec.name) + ": " + spec.doc});
  }
  if (t.optimizer.empty()) return;
  const SchemaEntry* opt = cat.find_optimizer(t.optimizer);
  if (!opt) {
    std::vector<std::string> names;
    for (const auto& o : cat.optimizers()) names.push_back(o.name);
    c.sink.error(t.optimizer_loc, "unknown optimizer " + sq(t.optimizer),
                 suggest(t.optimizer, names, "optimizers"));
    return;
  }
  check_args(c, t.optimizer_args, opt->schema, "optimizer " + sq(t.optimizer), t.optimizer_loc);
}

void check_shapes(Compiler& c, const ModelSpec& m) {
  const Catalog& cat = c.catalog;
  for (const auto& l : m.layers)
    if (!layer_schema_or_declared(cat, l)) return;  // unknown layers: reported already
  bool has_cell = false;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const LayerSpec& l = m.layers[i];
    if (l.kind == "embedding" && i > 0)
      c.sink.error(l.loc, "'embedding' must be the model's first layer: it reads token ids",
                   {"here it follows " + sq(m.layers[i - 1].kind)});
    has_cell = has_cell || is_cell(cat, l.kind);
  }
  std::string loss;
  for (const TrainSpec* t : std::vector<const TrainSpec*>{&m.train_overrides, &c.spec.train})
    if (loss.empty())
      if (auto it = t->settings.find("loss"); it != t->settings.end())
        if (const auto* s = std::get_if<std::string>(&it->second.value)) loss = *s;
  if (loss.empty()) loss = std::get<std::string>(loss_schema(cat).default_value);
  if (!has_cell && classification_loss(loss))
    c.sink.error(m.loc,
                 "model " + sq(m.name) + " has no cell, so it ends in a sequence ([T,B,F]), but "
                 "the loss " + sq(loss) + " needs one output per sequence",
                 {"put a cell in it (its last step is the model's output), or use a per-step "
                  "loss such as mse"});
}

}  // namespace

bool check_value(Sink& sink, const ParamSpec& spec, ParamValue& v, const std::string& what,
                 const SourceLoc& loc) {
  std::string err = check_param_value(spec, v);
  if (err.empty()) {
    if (spec.type == ParamType::real)
      if (const auto* i = std::get_if<int64_t>(&v)) v = static_cast<double>(*i);
    return true;
  }
  std::vector<std::string> notes;
  const std::string marker = " (did you mean ";
  if (auto p = err.rfind(marker); p != std::string::npos && err.back() == ')') {
    notes.push_back(err.substr(p + 2, err.size() - p - 3));
    err.resize(p);
  }
  if (!spec.doc.empty()) notes.push_back(sq(spec.name) + ": " + spec.doc);
  sink.error(loc, what + ": " + err, notes);
  return false;
}

void check_args(Compiler& c, ArgMap& args, const std::vector<ParamSpec>& schema,
                const std::string& owner, const SourceLoc& owner_loc) {
  for (auto& [name, arg] : args) {
    const ParamSpec* spec = find_param(schema, name);
    if (!spec) {
      c.sink.error(c.name_loc_of(arg), "unknown parameter " + sq(name) + " of " + owner,
                   suggest(name, param_names(schema), "parameters of " + owner));
      continue;
    }
    check_value(c.sink, *spec, arg.value, owner + " parameter " + sq(name), arg.loc);
  }
  for (const auto& spec : schema)
    if (spec.required && !args.count(spec.name))
      c.sink.error(owner_loc, "missing parameter " + sq(spec.name) + " of " + owner,
                   {sq(spec.name) + ": " + (spec.doc.empty() ? "required" : spec.doc)});
}

void check_spec(Compiler& c) {
  const Catalog& cat = c.catalog;
  if (auto it = c.top.find("seed"); it != c.top.end()) {
    if (check_value(c.sink, seed_schema(), it->second.value, "seed", it->second.loc))
      c.spec.seed = static_cast<uint64_t>(std::get<int64_t>(it->second.value));
  }
  if (auto it = c.top.find("backend"); it != c.top.end()) {
    if (check_value(c.sink, backend_schema(), it->second.value, "backend", it->second.loc))
      c.spec.backend = std::get<std::string>(it->second.value);
  }
  if (!c.has_experiment) {
    c.sink.error(SourceLoc{c.files.front()->path(), 1, 1}, "no experiment in this file",
                 {"a .rnn file declares one experiment NAME { ... }"});
    return;
  }
  const std::string exp = "experiment " + sq(c.spec.name);
  // data
  if (!c.has_data) {
    c.sink.error(c.experiment_loc, exp + " has no data block",
                 {"e.g. data digits { test_fraction 0.2 }"});
  } else if (const DataSourceType* src = cat.find_data_source(c.spec.data.source)) {
    check_args(c, c.spec.data.args, src->entry.schema, "data source " + sq(c.spec.data.source),
               c.spec.data.loc);
  } else {
    std::vector<std::string> names;
    for (const auto& d : cat.data_sources()) names.push_back(d.entry.name);
    c.sink.error(c.spec.data.loc, "unknown data source " + sq(c.spec.data.source),
                 suggest(c.spec.data.source, names, "data sources"));
  }
  // models
  if (c.spec.models.empty())
    c.sink.error(c.experiment_loc, exp + " has no model",
                 {"e.g. model lstm = lstm(hidden: 128) -> dense(10)"});
  for (auto& m : c.spec.models) {
    for (auto& l : m.layers) {
      // Two plugins register this cell: say so here, at the layer, naming both files.
      if (const std::string amb = cat.cells().ambiguity(l.kind); !amb.empty()) {
        c.sink.error(l.loc, amb, {});
        continue;
      }
      const auto schema = layer_schema_or_declared(cat, l);
      if (!schema) {
        std::vector<std::string> notes;
        const std::string near = closest_name(l.kind, cat.layer_names());
        if (!near.empty()) notes.push_back("did you mean " + sq(near) + "?");
        notes.push_back("known cells: " + join(cat.cells().names()));
        std::vector<std::string> layers;
        for (const auto& e : cat.layers()) layers.push_back(e.name);
        std::sort(layers.begin(), layers.end());
        notes.push_back("known layers: " + join(layers));
        c.sink.error(l.loc, "unknown cell or layer " + sq(l.kind), notes);
        continue;
      }
      check_args(c, l.args, *schema, l.kind, l.loc);
    }
    check_shapes(c, m);
    check_train(c, m.train_overrides, m.loc, false);
  }
  // train
  if (!c.has_train) {
    c.sink.error(c.experiment_loc, exp + " has no train block",
                 {"e.g. train { loss mse optimizer adam(lr: 1e-3) batch 16 steps 1000 }"});
  } else {
    check_train(c, c.spec.train, c.train_loc, true);
  }
  // sweep
  for (std::size_t i = 0; i < c.spec.sweep.size(); ++i) {
    SweepAxis& axis = c.spec.sweep[i];
    const auto target = resolve_key(c, axis.key, axis.loc);
    if (!target) continue;
    for (std::size_t j = 0; j < axis.values.size(); ++j)
      check_value(c.sink, *target->spec, axis.values[j], "sweep " + sq(axis.key),
                  c.sweep_value_locs[i][j]);
  }
}

}  // namespace rnnlab::dsl::detail
