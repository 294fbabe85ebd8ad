// RunIdentity: what makes a run file the result of one configuration, so that `--resume`
// reuses a finished or checkpointed file only for the run that wrote it.
//
//   resolved   the resolved spec text (/config/resolved): model, data block, training,
//              optimizer, seed, backend, every default filled in
//   data       FNV-1a 64 (hex) of the examples themselves: the train and eval index lists
//              and every example's inputs, lengths and targets as the run's dtype sees them,
//              so a data file edited in place (same path, same spec) is a different run
//   cells      "name=plugin@version sha256:<16 hex digits>" of every cell plugin the model
//              uses (cell_provenance: layer kinds and nstep's inner cell), sorted, '; '-joined:
//              a plugin rebuilt with other code but the same version is another run
//
// Stored as attrs /config/data_hash and /config/cells beside /config/resolved. A file without
// them (an older rnnlab) matches nothing: it cannot be shown to be the same run.
#pragma once

#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"
#include "rnnlab/run_file.h"

namespace rnnlab {

struct RunIdentity {
  std::string resolved, data, cells;
};

RunIdentity identify_run(const ExperimentSpec& run_spec, const Catalog& catalog,
                         const DataSetup& data, DType dtype, std::string resolved);
void write_identity(RunFile& run, const RunIdentity& id);
// What differs between the run that wrote `old` and `now`, one line each (empty: the same
// run). Differing spec lines are quoted (at most 6, then "... and N more").
std::vector<std::string> identity_differences(const RunFile& old, const RunIdentity& now);

}  // namespace rnnlab
