// The runs of a sweep over several experiment files, and the plan of one of its tasks
// (sweep_executor.h: expand_sweep, plan_sweep_task).
#include <algorithm>
#include <filesystem>

#include "rnnlab/sweep_executor.h"

namespace rnnlab {

std::vector<ManifestRecord> expand_sweep(const SweepFolder& folder,
                                         const std::vector<std::string>& files,
                                         const std::vector<std::string>& set,
                                         const std::vector<std::string>& models,
                                         const Catalog& catalog, const CompileSpecFile& compile) {
  std::vector<ManifestRecord> records;
  for (const auto& file : files) {
    const ExperimentSpec spec = compile(file, set);
    RunOptions options;
    options.out_dir = folder.dir;
    // Models absent from this file are fine when several files are given.
    for (const auto& m : models)
      if (files.size() == 1 || std::any_of(spec.models.begin(), spec.models.end(),
                                           [&](const ModelSpec& x) { return x.name == m; }))
        options.models.push_back(m);
    if (!models.empty() && options.models.empty()) continue;
    auto part = expand_manifest(spec, catalog, options, file, set);
    records.insert(records.end(), part.begin(), part.end());
  }
  RNNLAB_CHECK_INPUT(!records.empty(), "the sweep has no runs");
  std::vector<ManifestRecord> previous;
  if (std::filesystem::exists(folder.manifest())) previous = read_manifest(folder.manifest());
  assign_tasks(records, previous);
  return records;
}

SweepTask plan_sweep_task(const std::string& manifest, int64_t task, const Catalog& catalog,
                          const CompileSpecFile& compile, RunOptions& options) {
  const auto records = read_manifest(manifest);
  const auto rec = std::find_if(records.begin(), records.end(),
                                [&](const ManifestRecord& r) { return r.task == task; });
  RNNLAB_CHECK_INPUT(rec != records.end(), manifest, " has no task ", task);
  const ExperimentSpec spec = compile(rec->file, rec->set);
  options.out_dir =
      std::filesystem::absolute(manifest).parent_path().lexically_normal().string();
  options.models = {rec->model};
  options.resume = true;
  auto plans = plan_runs(spec, catalog, options);
  const auto plan = std::find_if(plans.begin(), plans.end(),
                                 [&](const RunPlan& p) { return p.path == rec->path; });
  RNNLAB_CHECK_INPUT(plan != plans.end(), manifest, ": task ", task, " (", rec->id, "): ",
                     rec->file, " no longer has this run (", rec->path,
                     "); expand the sweep again");
  return {*rec, std::move(*plan)};
}

}  // namespace rnnlab
