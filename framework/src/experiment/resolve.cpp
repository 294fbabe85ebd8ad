// resolve_run_spec and train_config: one model's run spec with every default filled, and the
// TrainConfig it describes (rules in runner.h).
#include <algorithm>

#include "experiment/resolve_util.h"
#include "rnnlab/spec_keys.h"
#include "rnnlab/optim.h"
#include "rnnlab/runner.h"

namespace rnnlab {

namespace {

// The experiment's train block with the model's overrides merged in (merge_train's rules),
// adam when neither names an optimizer.
TrainSpec merged_train(const TrainSpec& base, const TrainSpec& over) {
  TrainSpec out = base;
  merge_train(out, over);
  if (out.optimizer.empty()) out.optimizer = "adam";
  return out;
}

const SchemaEntry& optimizer_entry(const Catalog& catalog, const TrainSpec& t) {
  if (const SchemaEntry* o = catalog.find_optimizer(t.optimizer)) return *o;
  std::vector<std::string> names;
  for (const auto& o : catalog.optimizers()) names.push_back(o.name);
  std::string msg = detail::loc_prefix(t.optimizer_loc) + "unknown optimizer '" + t.optimizer + "'";
  const std::string near = closest_name(t.optimizer, names);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw InputError(msg + "; known: " + known);
}

SourceLoc file_loc(const ExperimentSpec& spec) { return SourceLoc{spec.source_path, 0, 0}; }

// Checks steps/epochs: exactly one > 0. The error points at the steps or epochs setting
// written (the file when neither is).
void check_length(const CellConfig& c, const ExperimentSpec& spec) {
  const int64_t steps = c.integer("steps"), epochs = c.integer("epochs");
  SourceLoc at = file_loc(spec);
  for (const char* key : {"steps", "epochs"})
    if (auto it = spec.train.settings.find(key);
        it != spec.train.settings.end() && it->second.loc.line > 0)
      at = it->second.loc;
  RNNLAB_CHECK_INPUT((steps > 0) != (epochs > 0), detail::loc_prefix(at),
                     "model '", spec.models.empty() ? std::string("?") : spec.models[0].name,
                     "': the train block needs exactly one of steps and epochs (found steps ",
                     steps, ", epochs ", epochs, ")");
}

}  // namespace

ExperimentSpec resolve_run_spec(const ExperimentSpec& spec, const std::string& model,
                                const Catalog& catalog) {
  auto it = std::find_if(spec.models.begin(), spec.models.end(),
                         [&](const ModelSpec& m) { return m.name == model; });
  RNNLAB_CHECK_INPUT(it != spec.models.end(), "experiment '", spec.name, "' has no model '",
                     model, "'");
  ExperimentSpec out = spec;
  out.sweep.clear();
  ModelSpec m = *it;
  RNNLAB_CHECK_INPUT(!m.layers.empty(), detail::loc_prefix(m.loc), "model '", m.name,
                     "' has no layers");
  for (auto& l : m.layers) {
    const bool cell = is_cell(catalog, l.kind);
    detail::resolve_args((cell ? "cell '" : "layer '") + l.kind + "'", l.kind,
                         detail::layer_schema(catalog, l), l.args, l.loc, &l.args);
  }
  out.train = merged_train(spec.train, m.train_overrides);
  m.train_overrides = TrainSpec{};
  out.models = {m};

  const SchemaEntry& opt = optimizer_entry(catalog, out.train);
  detail::resolve_args("optimizer '" + opt.name + "'", opt.name, opt.schema,
                       out.train.optimizer_args, out.train.optimizer_loc, &out.train.optimizer_args);
  CellConfig settings = detail::resolve_args("the train block", "train", catalog.train_settings(),
                                             out.train.settings, file_loc(spec),
                                             &out.train.settings);
  check_length(settings, out);
  // Keep only the one of steps/epochs in use: the resolved spec, printed as .rnn text (a run
  // file's /config/resolved), must compile again, and the language refuses both.
  out.train.settings.erase(settings.integer("steps") > 0 ? "epochs" : "steps");
  // Unset, `tensorboard` stays out of the resolved spec, so a spec without it resolves (and
  // identifies its run files, /config/values) as before the setting existed.
  if (settings.text("tensorboard").empty()) out.train.settings.erase("tensorboard");

  const DataSourceType* ds = catalog.find_data_source(spec.data.source);
  if (!ds) {
    std::vector<std::string> names;
    for (const auto& d : catalog.data_sources()) names.push_back(d.entry.name);
    std::string msg = detail::loc_prefix(spec.data.loc) + "unknown data source '" +
                      spec.data.source + "'";
    const std::string near = closest_name(spec.data.source, names);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw InputError(msg + "; known: " + known);
  }
  detail::resolve_args("data source '" + ds->entry.name + "'", ds->entry.name, ds->entry.schema,
                       spec.data.args, spec.data.loc, &out.data.args);
  RNNLAB_CHECK_INPUT(spec.backend == "cpu" || spec.backend == "cuda", "backend must be cpu or "
                     "cuda, found '", spec.backend, "'");
  return out;
}

TrainConfig train_config(const ExperimentSpec& run_spec, const Catalog& catalog) {
  const TrainSpec& t = run_spec.train;
  const SchemaEntry& opt = optimizer_entry(catalog, t);
  CellConfig o = detail::resolve_args("optimizer '" + opt.name + "'", opt.name, opt.schema,
                                      t.optimizer_args, t.optimizer_loc);
  CellConfig s = detail::resolve_args("the train block", "train", catalog.train_settings(),
                                      t.settings, file_loc(run_spec));
  check_length(s, run_spec);
  TrainConfig c;
  c.loss = loss_kind_from_name(s.choice("loss"));
  c.optimizer.kind = update_kind_from_name(opt.name);
  c.optimizer.lr = o.real("lr");
  c.optimizer.weight_decay = o.real("weight_decay");
  if (opt.name == "momentum") c.optimizer.momentum = o.real("momentum");
  if (opt.name == "adam") {
    c.optimizer.beta1 = o.real("beta1");
    c.optimizer.beta2 = o.real("beta2");
    c.optimizer.eps = o.real("eps");
  }
  if (opt.name == "rmsprop") {
    c.optimizer.rho = o.real("rho");
    c.optimizer.eps = o.real("eps");
  }
  c.clip_norm = s.real("clip");
  c.batch = s.integer("batch");
  c.steps = s.integer("steps");
  c.epochs = s.integer("epochs");
  c.eval_every = s.integer("eval_every");
  c.log_every = s.integer("log_every");
  c.checkpoint_every = s.integer("checkpoint_every");
  c.checkpoint_seconds = s.real("checkpoint_seconds");
  c.diverge_factor = s.real("diverge_factor");
  c.stateful = s.boolean("stateful");
  c.path = parse_path(s.choice("path"));
  const std::string& order = s.choice("order");
  c.order = order == "sequential" ? SampleOrder::sequential
            : order == "streams"  ? SampleOrder::streams
                                  : SampleOrder::shuffled;
  c.drop_last = s.boolean("drop_last");
  c.dtype = s.choice("dtype") == "f64" ? DType::f64 : DType::f32;
  c.seed = run_spec.seed;
  return c;
}

}  // namespace rnnlab
