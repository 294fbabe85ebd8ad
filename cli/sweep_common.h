// Shared pieces of `rnnlab sweep`, `status` and `collect` (the sweep folder and its manifest).
//
// A sweep folder DIR holds manifest.tsv (rnnlab/manifest.h), the run files
// DIR/<experiment>/<run>/run.h5, logs/ (one stdout/stderr pair per task), and for Slurm
// sweep.sbatch, collect.sbatch and jobs.txt (the submitted job ids, one line per submission).
#pragma once

#include <string>
#include <vector>

#include "cli_common.h"
#include "rnnlab/manifest.h"

namespace rnnlab::cli {

int cmd_sweep(const Args& args);
int cmd_status(const Args& args);
int cmd_collect(const Args& args);

inline std::string manifest_path(const std::string& dir) { return dir + "/manifest.tsv"; }

// The running rnnlab executable (absolute), for the commands a sweep starts.
std::string self_exe();

struct RunStatus {
  const ManifestRecord* record = nullptr;
  std::string state;  // missing | running | finished | failed | interrupted
  int64_t steps = 0;  // steps completed (also of a failed run)
  std::string error;  // a failed run's message
};
std::vector<RunStatus> run_statuses(const std::vector<ManifestRecord>& records);

// For a Slurm sweep (DIR/jobs.txt): every run whose file says `running` or that has no file,
// and whose array task (the last submission in jobs.txt holding its task number) is no longer
// pending or running, gets Slurm's own final state for that task, lower-cased: cancelled,
// timeout, out_of_memory, node_fail, failed, preempted, boot_fail, deadline (COMPLETED leaves
// the file's state). Read from `scontrol show job <array>_<task>` (while Slurm keeps the job,
// MinJobAge), else from the jobcomp file (`scontrol show config` -> JobCompLoc, jobcomp/filetxt);
// a task found in neither keeps the file's state. Finished, failed and interrupted files are
// never changed. No-op without jobs.txt or when the Slurm commands cannot be run.
void apply_slurm_states(const std::string& dir, std::vector<RunStatus>& statuses);

}  // namespace rnnlab::cli
