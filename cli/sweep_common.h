// Shared pieces of `rnnlab sweep`, `status` and `collect` (the sweep folder and its manifest).
//
// The sweep folder's layout and the executors are the library's (rnnlab/sweep_executor.h,
// what Slurm says: rnnlab/slurm_probe.h).
#pragma once

#include <string>
#include <vector>

#include "cli_common.h"
#include "rnnlab/manifest.h"
#include "rnnlab/run_state.h"
#include "rnnlab/sweep_executor.h"

namespace rnnlab::cli {

int cmd_sweep(const Args& args);
int cmd_status(const Args& args);
int cmd_collect(const Args& args);

inline std::string manifest_path(const std::string& dir) { return SweepFolder{dir}.manifest(); }

}  // namespace rnnlab::cli
