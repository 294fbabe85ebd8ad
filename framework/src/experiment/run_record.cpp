// /config/values, /split, /plugins and data_warnings of a run file (run_record.h).
#include "experiment/run_record.h"

#include <algorithm>
#include <limits>

#include "experiment/resolve_util.h"
#include "rnnlab/spec_keys.h"
#include "rnnlab/backend.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/run_layout.h"

namespace rnnlab {

namespace {

void add_args(std::vector<std::pair<std::string, ParamValue>>& out, const std::string& prefix,
              const ArgMap& args) {
  for (const auto& [k, a] : args) out.emplace_back(prefix + k, a.value);
}

Tensor index_tensor(const std::vector<std::size_t>& idx, const std::string& what) {
  std::vector<int32_t> v;
  v.reserve(idx.size());
  for (std::size_t i : idx) {
    RNNLAB_CHECK(i <= static_cast<std::size_t>(std::numeric_limits<int32_t>::max()),
                 "run file: ", what, " index ", i, " does not fit int32");
    v.push_back(static_cast<int32_t>(i));
  }
  return from_vector(v, {static_cast<int64_t>(v.size())});
}

}  // namespace

std::vector<std::pair<std::string, ParamValue>> config_values(const ExperimentSpec& s,
                                                              const Catalog& catalog) {
  RNNLAB_CHECK(s.models.size() == 1, "config_values: a run spec has one model, found ",
               s.models.size());
  std::vector<std::pair<std::string, ParamValue>> out;
  out.emplace_back("seed", static_cast<int64_t>(s.seed));
  out.emplace_back("backend", s.backend);
  const ModelSpec& m = s.models.front();
  out.emplace_back("model", m.name);
  bool first_cell = true;
  for (std::size_t k = 0; k < m.layers.size(); ++k) {
    const LayerSpec& l = m.layers[k];
    const std::string layer = "layer" + std::to_string(k) + ".";
    out.emplace_back(layer + "kind", l.kind);
    add_args(out, layer, l.args);
    if (first_cell && is_cell(catalog, l.kind)) {
      first_cell = false;
      out.emplace_back("cell", l.kind);
      add_args(out, "cell.", l.args);
    }
  }
  out.emplace_back("data.source", s.data.source);
  add_args(out, "data.", s.data.args);
  add_args(out, "train.", s.train.settings);
  out.emplace_back("train.optimizer", s.train.optimizer);
  add_args(out, "optimizer.", s.train.optimizer_args);
  return out;
}

void write_run_record(RunFile& run, const ExperimentSpec& run_spec, const Catalog& catalog,
                      const DataSetup& data) {
  if (run.exists(layout::kConfigValues)) run.remove(layout::kConfigValues);
  for (const auto& [key, value] : config_values(run_spec, catalog)) {
    const std::string name = layout::at(layout::kConfigValues, key);
    std::visit([&](const auto& v) { run.set_attr(name, v); }, value);
  }
  const Dataset& ds = *data.dataset;
  using layout::at;
  using layout::kDataset;
  run.set_attr(at(kDataset, layout::kExamples), static_cast<int64_t>(ds.size()));
  run.set_attr(at(kDataset, layout::kInputSize), ds.input_size());
  run.set_attr(at(kDataset, layout::kMaxSteps), ds.max_steps());
  run.set_attr(at(kDataset, layout::kNumClasses), ds.num_classes());
  run.set_attr(at(kDataset, layout::kOutputSize), ds.output_size());
  bool per_step = false;
  if (!data.train.empty()) {
    const Batch b = ds.batch({data.train.front()}, DType::f32);
    per_step = b.y_value.defined() && b.y_value.rank() == 3;
  }
  run.set_attr(at(kDataset, layout::kPerStepTargets), per_step);
  run.set_attr(at(kDataset, layout::kDescription), data.description);
  run.write_tensor(layout::kSplitTrain, index_tensor(data.train, "train"));
  run.write_tensor(layout::kSplitEval, index_tensor(data.eval, "eval"));
  run.flush();
}

std::vector<CellProvenance> cell_provenance(const CellRegistry& registry, const ModelSpec& model) {
  std::vector<std::string> cells;
  auto use = [&](const std::string& name) {
    if (registry.find(name) && std::find(cells.begin(), cells.end(), name) == cells.end())
      cells.push_back(name);
  };
  for (const LayerSpec& layer : model.layers) {
    use(layer.kind);
    if (auto it = layer.args.find("cell"); it != layer.args.end())
      if (const auto* s = std::get_if<std::string>(&it->second.value)) use(*s);
  }
  std::vector<CellProvenance> out;
  for (const std::string& c : cells) {
    const CellType& t = registry.get(c);  // an ambiguous cell was refused long before
    out.push_back({c, t.plugin, t.version, t.file, t.file.empty() ? "" : file_sha256(t.file)});
  }
  return out;
}

void record_cell_plugins(RunFile& run, const CellRegistry& registry, const ModelSpec& model) {
  for (const CellProvenance& p : cell_provenance(registry, model)) {
    const std::string g = layout::at(layout::kPlugins, p.cell);
    run.write_text(layout::at(g, layout::kPluginName), p.plugin);
    run.write_text(layout::at(g, layout::kPluginVersion), p.version);
    run.write_text(layout::at(g, layout::kPluginFile), p.file);
    run.write_text(layout::at(g, layout::kPluginSha256), p.sha256);
  }
}

void record_data_warnings(RunFile& run, const DataSetup& data) {
  if (data.warnings.empty()) return;
  std::string text;
  for (const auto& w : data.warnings) text += (text.empty() ? "" : "\n") + w;
  run.set_attr(layout::kDataWarnings, text);
}

}  // namespace rnnlab
