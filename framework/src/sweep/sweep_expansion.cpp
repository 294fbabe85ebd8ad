// The runs of a sweep over several experiment files (sweep_executor.h: expand_sweep).
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

}  // namespace rnnlab
