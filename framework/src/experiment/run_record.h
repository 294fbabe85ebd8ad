// What a run file records about a run's configuration and data, beside the text of
// /config/resolved (layout in run_file.h and results/README.md):
//
//   /config/values   one attribute per resolved setting, with its real type (int64, float64,
//                    bool as h5py's enum, UTF-8 string); the keys:
//                      seed, backend
//                      model                 the model's name
//                      cell                  its first cell's kind (absent without a cell)
//                      cell.<arg>            every argument of that cell ("cell.hidden"), so a
//                                            column groups across cell types
//                      layer<k>.kind         layer k (0-based), e.g. "dense"
//                      layer<k>.<arg>        every argument of layer k
//                      data.source, data.<arg>
//                      train.<setting>       every train setting (only one of steps/epochs)
//                      train.optimizer, optimizer.<arg>
//                    Every value is the resolved one: defaults filled in, sweep points and
//                    --set overrides applied (the same values /config/resolved prints).
//   /dataset         attrs of the data the run saw: examples (int), input_size I, max_steps T,
//                    num_classes (0: regression), output_size O (0: classification),
//                    per_step_targets (bool: targets [T,B,O], so the last cell returns every
//                    step), description (the one-line summary, also the root attr `data`)
//   /split/train     int32 [n_train]  indices of the training examples, ascending
//   /split/eval      int32 [n_eval]   indices of the held-out examples, ascending
//                    (indices into the data source's examples in its own order: digits = row
//                    of the CSV, npy = index on the first axis, csv / fibonacci = window start,
//                    generated sources = example number)
//   /plugins/<cell>  the plugin behind each cell the model uses: {plugin,version,file,sha256}
//   attr data_warnings  the data's repair warnings, one per line
// The plugin loader only finds and loads plugins; writing what they were is this layer's job.
#pragma once

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"
#include "rnnlab/run_file.h"

namespace rnnlab {

// The key/value pairs of /config/values for a resolved one-model run spec (see above).
std::vector<std::pair<std::string, ParamValue>> config_values(const ExperimentSpec& run_spec,
                                                              const Catalog& catalog);

// Writes /config/values and /split (replacing what an earlier attempt of the run wrote).
void write_run_record(RunFile& run, const ExperimentSpec& run_spec, const Catalog& catalog,
                      const DataSetup& data);

// The plugin behind one cell, as a run file records it.
struct CellProvenance {
  std::string cell, plugin, version, file, sha256;
};
// The cells a model uses -- every layer that is a registered cell, and a cell named by a
// layer's `cell` argument (nstep's inner cell) -- with their plugin's name, version, file and
// the file's SHA-256. A cell the host program registered itself has plugin "" and file "".
std::vector<CellProvenance> cell_provenance(const CellRegistry& registry, const ModelSpec& model);
// Writes cell_provenance() into `run`: /plugins/<cell>/{plugin,version,file,sha256}, one
// string dataset each (h5py: f["plugins/lstm/sha256"][()].decode()).
void record_cell_plugins(RunFile& run, const CellRegistry& registry, const ModelSpec& model);

// The data's warnings (DataSetup::warnings) as the run file's root attr data_warnings, one
// per line; nothing when there are none.
void record_data_warnings(RunFile& run, const DataSetup& data);

}  // namespace rnnlab
