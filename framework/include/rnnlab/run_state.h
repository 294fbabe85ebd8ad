// Where a run stands, read from its run file: the one probe behind `rnnlab status`, `sweep`
// (--rerun-failed, the local executor's report) and `collect`.
//
// States: missing      no file at the path yet
//         running      the file says running (still training, or killed without a trace), or
//                      it cannot be opened because a live writer holds HDF5's file lock
//         finished | failed | interrupted   the file's `status` attribute (run_layout.h)
// A file that exists but cannot be read (not HDF5, truncated, a checksum that fails, a status
// that is none of the four, the header_digest of a sealed file with an error message that does
// not match) and is not locked is "failed"; a readable file without a status attribute too.
// run_statuses reads the files in a child process (isolated.h): one that crashes libhdf5 is
// "failed" as well.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "rnnlab/manifest.h"
#include "rnnlab/run_state_type.h"

namespace rnnlab {

// The state of the run file at `path` (see above). `steps` receives the file's steps attr
// when present (also for failed runs: the steps completed), `error` the file's error attr (a
// failed run's message) or, for an unreadable file, why; `unreadable` only the latter (""
// otherwise). Never throws for a bad file.
RunState run_state(const std::string& path, int64_t* steps = nullptr,
                   std::string* error = nullptr, std::string* unreadable = nullptr);

// One run of a sweep manifest with its state.
struct RunStatus {
  const ManifestRecord* record = nullptr;  // points into the records given to run_statuses
  // run_state's text (missing | running | finished | failed | interrupted), or Slurm's final
  // state (slurm_probe.h), or a suite's "refused": open text, read with parse_run_state.
  std::string state;
  int64_t steps = 0;  // steps completed (also of a failed run)
  std::string error;  // a failed run's message
};
// run_state of every record, in order; an unreadable file is reported on `warn` (naming it and
// the state it is counted as).
std::vector<RunStatus> run_statuses(const std::vector<ManifestRecord>& records, std::ostream& warn);

}  // namespace rnnlab
