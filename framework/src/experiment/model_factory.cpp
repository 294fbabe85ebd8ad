// build_model and create_data: the objects a resolved run spec describes (rules in runner.h).
#include <filesystem>
#include <iostream>

#include "experiment/resolve_util.h"
#include "rnnlab/spec_keys.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/runner.h"

namespace rnnlab {

std::unique_ptr<Model> build_model(const ModelSpec& model, const Catalog& catalog,
                                   int64_t input_size, uint64_t seed, Device device, DType dtype,
                                   bool stateful, bool per_step_targets) {
  ModelBuilder b(catalog.cells(), model.name, input_size, seed, device, dtype);
  const std::size_t n = model.layers.size();
  for (std::size_t k = 0; k < n; ++k) {
    const LayerSpec& l = model.layers[k];
    const bool cell = is_cell(catalog, l.kind);
    CellConfig c = detail::resolve_args((cell ? "cell '" : "layer '") + l.kind + "'", l.kind,
                                        detail::layer_schema(catalog, l), l.args, l.loc);
    try {
      if (cell) {
        bool later_cell = false;
        for (std::size_t j = k + 1; j < n; ++j) later_cell |= is_cell(catalog, model.layers[j].kind);
        b.cell(l.kind, c.values(), later_cell || per_step_targets, stateful);
      } else if (l.kind == "dense") {
        b.dense(c.integer("units"), activation_from_name(c.choice("activation")));
      } else if (l.kind == "embedding") {
        b.embedding(c.integer("vocab"), c.integer("dim"));
      } else if (l.kind == "dropout") {
        b.dropout(c.real("p"));
      } else {
        throw InputError("layer '" + l.kind + "' has a schema but no builder");
      }
    } catch (const InputError& e) {
      throw InputError(detail::loc_prefix(l.loc) + "model '" + model.name + "', layer " +
                       std::to_string(k) + " (" + l.kind + "): " + e.what());
    }
  }
  return b.build();
}

namespace {

std::string base_dir_of(const ExperimentSpec& spec) {
  return spec.source_path.empty()
             ? std::string()
             : std::filesystem::path(spec.source_path).parent_path().string();
}

void check_path_exists(const ExperimentSpec& spec) {
  auto it = spec.data.args.find("path");
  if (it == spec.data.args.end()) return;
  const auto* path = std::get_if<std::string>(&it->second.value);
  if (!path || path->empty()) return;
  std::filesystem::path p(*path);
  if (p.is_relative() && !spec.source_path.empty())
    p = std::filesystem::path(spec.source_path).parent_path() / p;
  std::error_code ec;
  if (std::filesystem::exists(p, ec)) return;
  const SourceLoc& at = it->second.loc.file.empty() ? spec.data.loc : it->second.loc;
  throw InputError(detail::loc_prefix(at) + "data '" + spec.data.source + "': path '" + *path +
                   "' does not exist (looked for " + p.lexically_normal().string() + ")");
}

}  // namespace

DataSetup create_data(const ExperimentSpec& spec, const Catalog& catalog) {
  const DataSourceType* ds = catalog.find_data_source(spec.data.source);
  RNNLAB_CHECK_INPUT(ds, detail::loc_prefix(spec.data.loc), "unknown data source '",
                     spec.data.source, "'");
  CellConfig c = detail::resolve_args("data source '" + ds->entry.name + "'", ds->entry.name,
                                      ds->entry.schema, spec.data.args, spec.data.loc);
  try {
    DataSetup setup = ds->create(c, base_dir_of(spec), spec.seed);
    for (const auto& w : setup.warnings) std::cerr << "warning: " << w << "\n";
    return setup;
  } catch (const InputError& e) {
    throw InputError(detail::loc_prefix(spec.data.loc) + "data '" + spec.data.source +
                     "': " + e.what());
  }
}

void check_data_files(const ExperimentSpec& spec, const Catalog& catalog) {
  check_path_exists(spec);
  const DataSourceType* ds = catalog.find_data_source(spec.data.source);
  if (!ds || !ds->check) return;
  CellConfig c = detail::resolve_args("data source '" + ds->entry.name + "'", ds->entry.name,
                                      ds->entry.schema, spec.data.args, spec.data.loc);
  try {
    ds->check(c, base_dir_of(spec));
  } catch (const InputError& e) {
    throw InputError(detail::loc_prefix(spec.data.loc) + "data '" + spec.data.source +
                     "': " + e.what());
  }
}

}  // namespace rnnlab
