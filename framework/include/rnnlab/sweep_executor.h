// Running the runs of a sweep manifest (manifest.h): N worker processes on this machine, or a
// Slurm array job with a dependent collect job. (What Slurm says about the tasks afterwards:
// slurm_probe.h.)
//
// The sweep folder DIR (SweepFolder) holds
//   manifest.tsv                          the runs, one task number each (manifest.h)
//   <experiment>/<run>/run.h5             the run files
//   logs/task-<N>.attempt-<K>.{out,err}   task N's stdout / stderr; K = the attempt, counting
//                                         the sweep commands on DIR (DIR/attempts), so a rerun
//                                         keeps the earlier attempts' logs
//   sweep.sbatch, collect.sbatch          the Slurm scripts; logs/collect.{out,err}
//   jobs.txt                              one line per Slurm submission:
//                                         "array <id> tasks <ranges>[ collect <id>]"
//   attempts                              the number of sweep commands so far
//   sweep.options                         the first sweep's options (`rnnlab sweep` keeps them
//                                         for --rerun-failed)
//
// Every task is one process of the rnnlab executable (`program`), whatever the executor:
//   <program> run --manifest DIR/manifest.tsv --task-id T --threads P --quiet
// which runs the one run of task T with --resume semantics (finished: skipped; interrupted or
// killed: continued from its checkpoint), plus the sweep's TaskFlags: `--tensorboard TB` when
// it has one (an absolute folder: each run's event files in TB/<experiment>/<run>/), one
// `--plugin-path DIR` per extra plugin folder (absolute) and one `--cell-from CELL=PLUGIN` per
// pick. The collect job is
// `<program> collect DIR`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rnnlab/manifest.h"
#include "rnnlab/run_state_type.h"

namespace rnnlab {

struct SweepFolder {
  std::string dir;

  std::string manifest() const { return dir + "/manifest.tsv"; }
  std::string logs() const { return dir + "/logs"; }
  // logs/task-<task>.attempt-<attempt>.<ext> (ext "out", "err", or "{out,err}" for messages)
  std::string log(int64_t task, int attempt, const std::string& ext) const;
  std::string jobs() const { return dir + "/jobs.txt"; }
  std::string array_script() const { return dir + "/sweep.sbatch"; }
  std::string collect_script() const { return dir + "/collect.sbatch"; }

  // Writes (replaces) the text file DIR/<name>; InputError naming it when it cannot.
  void write(const std::string& name, const std::string& text) const;

  // The number of this sweep command on DIR (1 for the first); with `record`, DIR/attempts
  // counts it.
  int next_attempt(bool record) const;
};

// Compiles the .rnn file `path` with `overrides` ("key=value"); throws on errors. The core
// cannot read .rnn files (dsl/ is a layer above): the caller passes dsl::compile_file.
using CompileSpecFile = std::function<ExperimentSpec(const std::string& path,
                                                     const std::vector<std::string>& overrides)>;

// The runs of a sweep over experiment files, as `rnnlab sweep FILE.rnn...` lists them in
// DIR/manifest.tsv: every file compiled with the global overrides `set`, expanded in the order
// given (expand_manifest) into run files under DIR, only the `models` named (all when empty; a
// model that a file lacks is skipped when several files are given, an error with one); then
// the task numbers of the folder's existing manifest kept (assign_tasks). Writes nothing.
// InputError when no run is left.
std::vector<ManifestRecord> expand_sweep(const SweepFolder& folder,
                                         const std::vector<std::string>& files,
                                         const std::vector<std::string>& set,
                                         const std::vector<std::string>& models,
                                         const Catalog& catalog, const CompileSpecFile& compile);

// What `rnnlab run --manifest M --task-id T` runs: the record of task T of the manifest M and
// its plan (its file compiled with the record's global overrides, plan_runs, the run whose
// path is the record's). Sets options.out_dir (M's folder), options.models ({the record's
// model}) and options.resume (true: a task started again continues, never overwrites); the
// other options are the caller's. InputError when M has no task T or the file no longer has
// the run.
struct SweepTask {
  ManifestRecord record;
  RunPlan plan;
};
SweepTask plan_sweep_task(const std::string& manifest, int64_t task, const Catalog& catalog,
                          const CompileSpecFile& compile, RunOptions& options);

// What every task's command line carries besides the manifest and the thread count: the
// options of `rnnlab sweep` that each run needs too.
struct TaskFlags {
  std::string tensorboard;               // --tensorboard TB ("" : none), absolute
  std::vector<std::string> plugin_dirs;  // one --plugin-path each, absolute
  std::vector<std::string> cell_from;    // one --cell-from each
};
// The flags' words (`--tensorboard TB --plugin-path D ... --cell-from P ...`), in that order.
std::vector<std::string> task_flag_words(const TaskFlags& flags);

// The task's command line (see above), threads P.
std::vector<std::string> task_command(const SweepFolder& folder, const ManifestRecord& record,
                                      const std::string& program, int threads,
                                      const TaskFlags& flags = {});

// Whether --rerun-failed runs a task again, from its run file's state (run_state.h): failed,
// interrupted or missing; running only when no Slurm job of the sweep is queued any more
// (slurm_jobs_queued: then the run was killed). std::nullopt (a state that is not ours, e.g.
// Slurm's): no.
bool needs_rerun(std::optional<RunState> state, bool slurm_job_queued);

// ---- local: worker processes on this machine ----

struct LocalSweepOptions {
  std::string program;  // the rnnlab executable
  int jobs = 1;         // tasks at a time (< 1: 1)
  int threads = 0;      // CPU threads per task; 0: hardware threads / min(jobs, tasks), >= 1
  int attempt = 1;      // numbers the log files
  TaskFlags flags;       // every task's extra options
};

// The threads each task gets (see LocalSweepOptions::threads).
int threads_per_task(const LocalSweepOptions& options, std::size_t tasks);

struct TaskOutcome {
  const ManifestRecord* record = nullptr;
  int exit_code = -1;  // of the task's process (128 + N: killed by signal N)
  double seconds = 0;  // wall time of the process
};

// Progress, for printing: `n` tasks started / ended so far of `total`.
struct LocalSweepEvents {
  std::function<void(const ManifestRecord&, std::size_t n, std::size_t total)> on_start;
  std::function<void(const TaskOutcome&, std::size_t n, std::size_t total)> on_finish;
};

// Runs every task of `tasks` (records of the folder's manifest), at most options.jobs at a
// time, each with stdout / stderr in its log files (DIR/logs is created); returns one outcome
// per task, in the order of `tasks`. Waits for every child of this process (waitpid(-1)): call
// it with no other child running. ProcessStartError if the program cannot be started.
std::vector<TaskOutcome> run_local_sweep(const SweepFolder& folder,
                                         const std::vector<ManifestRecord>& tasks,
                                         const LocalSweepOptions& options,
                                         const LocalSweepEvents& events = {});

// How a task of a sweep ended, for a summary line: its run file's state (run_state.h) and, when
// not finished, why: the file's error, else the last non-empty line of the task's stderr log
// of `attempt` (a crash before the file said anything); "" when neither says.
struct TaskReport {
  RunState state = RunState::missing;
  std::string error;
};
TaskReport task_report(const SweepFolder& folder, const ManifestRecord& record, int attempt);

// ---- slurm: an array job and a collect job ----

struct SlurmOptions {
  std::string program;  // the rnnlab executable (absolute: it runs on the compute nodes)
  int jobs = 0;         // tasks at a time (--array=...%jobs); 0: no limit
  std::string partition, time, mem, gres;  // #SBATCH lines, left out when empty
  int cpus_per_task = 1;                   // = threads per run
  std::string job_name = "rnnlab";         // the collect job is <job_name>-collect
  std::vector<std::string> extra;          // more #SBATCH lines, e.g. "--account=abc"
  bool collect = true;                     // submit the collect job (afterany the array)
  int attempt = 1;                         // numbers the log files
  TaskFlags flags;                         // every task's extra options
};

// "0-5,7,9-10" from task numbers (sorted first; distinct expected).
std::string array_ranges(std::vector<int64_t> tasks);
// Does "0-5,7" (a %N limit suffix ignored) contain `task`?
bool in_array_ranges(const std::string& ranges, int64_t task);

// The sbatch scripts (bash): an array job over `tasks`, one array task per run; the collect
// job. The program and the paths on its command lines are shell-quoted (shell_quote).
std::string slurm_array_script(const SweepFolder& folder, const std::vector<int64_t>& tasks,
                               const SlurmOptions& options);
std::string slurm_collect_script(const SweepFolder& folder, const SlurmOptions& options);

// Writes both scripts into the folder (creating DIR/logs), submits nothing.
void write_slurm_scripts(const SweepFolder& folder, const std::vector<int64_t>& tasks,
                         const SlurmOptions& options);

struct SlurmSubmission {
  std::string array_id;
  std::string collect_id;  // "" without the collect job
};
// write_slurm_scripts, then `sbatch --parsable` of the array script and (options.collect)
// `sbatch --parsable --dependency=afterany:<array id>` of the collect script; appends the
// line to DIR/jobs.txt. InputError naming the script and sbatch's output when sbatch cannot
// be run or fails.
SlurmSubmission submit_slurm_sweep(const SweepFolder& folder, const std::vector<int64_t>& tasks,
                                   const SlurmOptions& options);

}  // namespace rnnlab
