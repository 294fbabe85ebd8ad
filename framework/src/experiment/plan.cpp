// plan_runs / for_each_plan: models x sweep points -> one resolved RunPlan each (naming rules
// in runner.h). Expansion is lazy and linear: the runs are resolved one at a time from one
// sweep-less, single-model copy of the spec per model (the .rnn text is shared, not copied),
// and the number of runs is counted, and capped at kMaxRuns, before any is resolved.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "experiment/resolve_util.h"
#include "rnnlab/runner.h"
#include "rnnlab/spec_keys.h"

namespace rnnlab {

namespace {

// Does a sweep axis concern `model`? (`model.<other>.…` does not.)
bool axis_applies(const SweepAxis& a, const std::string& model) {
  if (a.key.rfind("model.", 0) != 0) return true;
  const std::string rest = a.key.substr(6);
  return rest.substr(0, rest.find('.')) == model;
}

std::string sanitize(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '=' ||
          c == '+' || c == '-'))
      c = '_';
  return out;
}

// Labels of the axes in a sweep id: the key's leaf, or the key without `model.<name>.` when
// two axes share a leaf.
std::vector<std::string> axis_labels(const std::vector<const SweepAxis*>& axes) {
  std::map<std::string, int> leaf_count;
  auto leaf = [](const std::string& k) { return k.substr(k.rfind('.') + 1); };
  for (const auto* a : axes) ++leaf_count[leaf(a->key)];
  std::vector<std::string> labels;
  for (const auto* a : axes) {
    std::string l = leaf(a->key);
    if (leaf_count[l] > 1) {
      l = a->key;
      if (l.rfind("model.", 0) == 0) {
        const std::size_t dot = l.find('.', 6);
        if (dot != std::string::npos) l = l.substr(dot + 1);
      }
    }
    labels.push_back(l);
  }
  return labels;
}

bool selected(const RunOptions& options, const std::string& model) {
  return options.models.empty() ||
         std::find(options.models.begin(), options.models.end(), model) != options.models.end();
}

// The checks of plan_runs that need no expansion: --model names, empty sweep axes.
void check_plan_input(const ExperimentSpec& spec, const RunOptions& options) {
  RNNLAB_CHECK_INPUT(!spec.models.empty(), "experiment '", spec.name, "' has no models");
  for (const auto& want : options.models) {
    const bool found = std::any_of(spec.models.begin(), spec.models.end(),
                                   [&](const ModelSpec& m) { return m.name == want; });
    if (!found) {
      std::vector<std::string> names;
      for (const auto& m : spec.models) names.push_back(m.name);
      std::string msg = "--model " + want + ": experiment '" + spec.name + "' has no such model";
      const std::string near = closest_name(want, names);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw InputError(msg + "; its models: " + known);
    }
  }
  for (const auto& a : spec.sweep) {
    RNNLAB_CHECK_INPUT(!a.values.empty(), detail::loc_prefix(a.loc), "sweep axis '", a.key,
                       "' has no values");
  }
}

// An axis of a model that is not there concerns no run: the compiler rejects its key (unknown
// model, with did-you-mean), and so does the runner, with the same message.
void check_axis_models(const ExperimentSpec& spec, const Catalog& catalog) {
  for (const auto& a : spec.sweep) {
    const bool some_model = std::any_of(spec.models.begin(), spec.models.end(),
                                        [&](const ModelSpec& m) { return axis_applies(a, m.name); });
    if (some_model) continue;
    ExperimentSpec probe = spec;
    const KeyResolution r = resolve_key(probe, a.key, catalog);
    if (r.error)
      throw InputError(detail::loc_prefix(a.loc) + "sweep: " + key_error_text(a.key, *r.error));
  }
}

}  // namespace

int64_t count_runs(const ExperimentSpec& spec, const RunOptions& options) {
  check_plan_input(spec, options);
  int64_t total = 0;
  for (const auto& m : spec.models) {
    if (!selected(options, m.name)) continue;
    int64_t points = 1;
    for (const auto& a : spec.sweep) {
      if (!axis_applies(a, m.name)) continue;
      const auto n = static_cast<int64_t>(a.values.size());
      // points <= kMaxRuns before the product and n is a vector's size: no overflow.
      points = points * n;
      if (points > kMaxRuns || total + points > kMaxRuns) {
        const SourceLoc& at = a.loc.line > 0 ? a.loc : SourceLoc{spec.source_path, 0, 0};
        throw InputError(detail::concat(
            detail::loc_prefix(at), "the experiment '", spec.name, "' expands to more than ",
            kMaxRuns, " runs (models x sweep points) at sweep axis '", a.key, "' (", n,
            " values, model '", m.name, "'); the limit is ", kMaxRuns,
            " runs per experiment: split the sweep over several files or use fewer values"));
      }
    }
    total += points;
    RNNLAB_CHECK_INPUT(total <= kMaxRuns, detail::loc_prefix(m.loc), "the experiment '", spec.name,
                       "' expands to more than ", kMaxRuns,
                       " runs (models x sweep points) at model '", m.name, "'; the limit is ",
                       kMaxRuns, " runs per experiment: split it over several files");
  }
  return total;
}

void for_each_plan(const ExperimentSpec& spec, const Catalog& catalog, const RunOptions& options,
                   const std::function<void(RunPlan&&)>& visit) {
  count_runs(spec, options);   // the checks and the cap, before anything is resolved
  check_axis_models(spec, catalog);
  ExperimentSpec base = spec;  // shares the .rnn text (SharedText)
  base.sweep.clear();
  base.models.clear();
  std::set<std::string> paths;
  for (const auto& m : spec.models) {
    if (!selected(options, m.name)) continue;
    ExperimentSpec model_base = base;
    model_base.models = {m};
    std::vector<const SweepAxis*> axes;
    for (const auto& a : spec.sweep)
      if (axis_applies(a, m.name)) axes.push_back(&a);
    const std::vector<std::string> labels = axis_labels(axes);
    // Odometer over the axes, the last axis fastest.
    std::vector<std::size_t> at(axes.size(), 0);
    while (true) {
      ExperimentSpec point = model_base;
      std::string id;
      std::vector<std::string> settings;
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const ParamValue& v = axes[i]->values[at[i]];
        try {
          apply_setting(point, axes[i]->key, v, catalog);
        } catch (const InputError& e) {
          throw InputError(detail::loc_prefix(axes[i]->loc) + "sweep: " + e.what());
        }
        id += (id.empty() ? "" : "_") + labels[i] + "=" + param_value_str(v);
        settings.push_back(axes[i]->key + "=" + param_value_str(v));
      }
      RunPlan p;
      p.experiment = sanitize(spec.name);
      p.sweep_settings = std::move(settings);
      p.model = m.name;
      p.sweep_id = sanitize(id);
      p.name = sanitize(m.name) + (id.empty() ? "" : "-" + p.sweep_id);
      p.path = (std::filesystem::path(options.out_dir) / p.experiment / p.name / "run.h5")
                   .lexically_normal()
                   .string();
      p.spec = resolve_run_spec(point, m.name, catalog);
      RNNLAB_CHECK_INPUT(paths.insert(p.path).second, "two runs would write ", p.path,
                         " (duplicate values in a sweep axis?)");
      visit(std::move(p));
      std::size_t i = axes.size();
      while (i > 0 && ++at[i - 1] == axes[i - 1]->values.size()) at[--i] = 0;
      if (i == 0) break;
    }
  }
}

void for_each_checked_plan(const ExperimentSpec& spec, const Catalog& catalog,
                           const RunOptions& options, const std::function<void(RunPlan&&)>& visit) {
  std::set<std::string> data_blocks;  // checked once each, whatever the sweep
  for_each_plan(spec, catalog, options, [&](RunPlan&& p) {
    std::string key = p.spec.data.source;
    for (const auto& [name, arg] : p.spec.data.args)
      key += "\n" + name + "=" + param_value_str(arg.value);
    if (data_blocks.insert(key).second) check_data_files(p.spec, catalog);
    visit(std::move(p));
  });
}

std::vector<RunPlan> plan_runs(const ExperimentSpec& spec, const Catalog& catalog,
                               const RunOptions& options) {
  std::vector<RunPlan> plans;
  plans.reserve(static_cast<std::size_t>(count_runs(spec, options)));
  for_each_plan(spec, catalog, options, [&](RunPlan&& p) { plans.push_back(std::move(p)); });
  return plans;
}

}  // namespace rnnlab
