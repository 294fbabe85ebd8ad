// What Slurm says about a sweep's jobs (sweep_executor.h: DIR/jobs.txt lists the submissions).
//
// Both ask Slurm's commands (squeue, scontrol) through run_process, stderr discarded; when they
// cannot be run (no Slurm on this machine) or fail, the answer is "nothing known": false / no
// entry. Nothing is guessed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rnnlab/run_state.h"
#include "rnnlab/sweep_executor.h"

namespace rnnlab {

// Is a job of the sweep (an array or collect id of DIR/jobs.txt) still pending or running?
// (`squeue -h -o %i -j <ids>` lists one; false without jobs.txt.)
bool slurm_jobs_queued(const SweepFolder& folder);

// Slurm's final state of each of `tasks` whose array task has ended, lower-cased: cancelled,
// timeout, out_of_memory, node_fail, failed, preempted, boot_fail, deadline. A task's array is
// the last submission in jobs.txt whose ranges hold it. Read from `scontrol -o show job
// <array>_<task>` while Slurm keeps the job (MinJobAge), else from the jobcomp file
// (`scontrol show config` -> JobCompLoc, jobcomp/filetxt: the task's own record, else the
// array's record for tasks that never started). A task that is pending, running, COMPLETED
// (the run file is then the truth) or found nowhere has no entry. Empty without jobs.txt.
std::map<int64_t, std::string> slurm_final_states(const SweepFolder& folder,
                                                  const std::vector<int64_t>& tasks);

// Run states (run_state.h) completed by Slurm, what `status` and `collect` show: for a Slurm
// sweep (DIR/jobs.txt) every run whose file says `running` or that has no file (`missing`)
// gets slurm_final_states's state of its array task where Slurm has one (cancelled, timeout,
// out_of_memory, ...). Finished, failed and interrupted files are never changed. No-op
// without jobs.txt or when the Slurm commands cannot be run.
void apply_slurm_states(const SweepFolder& folder, std::vector<RunStatus>& statuses);

// A Slurm JobState ("CANCELLED by 0", "TIMEOUT", "RUNNING", ...) as a final state: its first
// word lower-cased, or "" while the job is not over (PENDING, RUNNING, COMPLETING, REQUEUED,
// ...) and for COMPLETED.
std::string slurm_final_state(const std::string& job_state);

}  // namespace rnnlab
