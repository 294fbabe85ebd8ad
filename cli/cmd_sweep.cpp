// rnnlab sweep FILE.rnn...: expands models x sweep grid x seeds into DIR/manifest.tsv and runs
// it locally (N concurrent `rnnlab run --manifest --task-id` processes) or as a Slurm array job
// with a dependent collect job.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "rnnlab/process.h"
#include "rnnlab/run_lock.h"
#include "rnnlab/slurm_probe.h"
#include "rnnlab/sweep_executor.h"
#include "sweep_common.h"

namespace rnnlab::cli {

namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: rnnlab sweep FILE.rnn... [options]\n"
    "       rnnlab sweep --rerun-failed DIR [options]\n"
    "\n"
    "Expands every model x sweep point (seeds included) of the experiments into a run list,\n"
    "DIR/manifest.tsv (one record per run: task number, id, model, run file, overrides), and\n"
    "runs it. Ids are `<experiment>/<model>[-<sweep id>]` and task numbers are kept when the\n"
    "sweep is expanded again into the same DIR. Run files: DIR/<experiment>/<run>/run.h5;\n"
    "logs: DIR/logs/task-<N>.attempt-<K>.{out,err}, K counting this folder's sweep commands\n"
    "(a rerun keeps the earlier attempts' logs). Every task runs with --resume semantics: a\n"
    "finished run is skipped, an interrupted, killed, cancelled or preempted one continues\n"
    "from its checkpoint, and a run file of another configuration is refused (exit 2).\n"
    "\n"
    "  --executor local   N concurrent `rnnlab run --manifest DIR/manifest.tsv --task-id T`\n"
    "                     processes, CPU threads divided between them; a summary at the end,\n"
    "                     then `rnnlab collect DIR` (DIR/summary.csv, .h5).\n"
    "  --executor slurm   writes DIR/sweep.sbatch (an array job over the task numbers, at most\n"
    "                     --jobs tasks at a time) and DIR/collect.sbatch (`rnnlab collect DIR`,\n"
    "                     afterany the array), submits both with `sbatch --parsable` and\n"
    "                     appends the job ids to DIR/jobs.txt. --dry-run prints the scripts\n"
    "                     (and writes the manifest) without submitting.\n"
    "  --rerun-failed DIR runs only the failed, interrupted and missing runs of DIR again (and\n"
    "                     those whose file still says running, unless a Slurm job of DIR\n"
    "                     (DIR/jobs.txt) is still queued: a killed run), continuing each from\n"
    "                     its checkpoint, with the executor and resource options of the first\n"
    "                     sweep (DIR/sweep.options) unless given again.\n"
    "  --tensorboard TB   every run also writes TensorBoard event files to\n"
    "                     TB/<experiment>/<run>/ (`rnnlab run --tensorboard`): one logdir for\n"
    "                     the whole sweep (`tensorboard --logdir TB`).\n"
    "\n"
    "exit status: 0 all runs finished (local) / submitted (slurm), 1 a run failed, 2 bad input";

int run_slurm(const SweepFolder& folder, const std::vector<ManifestRecord>& pending,
              const SlurmOptions& so, bool dry_run) {
  std::vector<int64_t> tasks;
  for (const auto& r : pending) tasks.push_back(r.task);
  if (dry_run) {
    write_slurm_scripts(folder, tasks, so);
    std::cout << "# " << folder.array_script() << "  (sbatch --parsable " << folder.array_script()
              << ")\n"
              << slurm_array_script(folder, tasks, so);
    if (so.collect)
      std::cout << "\n# " << folder.collect_script() << "  (sbatch --parsable "
                << "--dependency=afterany:<array job id> " << folder.collect_script() << ")\n"
                << slurm_collect_script(folder, so);
    return kExitOk;
  }
  const SlurmSubmission sub = submit_slurm_sweep(folder, tasks, so);
  std::cout << "submitted array job " << sub.array_id << " (" << pending.size() << " tasks"
            << (so.jobs > 0 ? ", at most " + std::to_string(so.jobs) + " at a time" : "") << ")";
  if (!sub.collect_id.empty()) std::cout << "; collect job " << sub.collect_id << " (afterany)";
  std::cout << "\n"
            << sub.array_id << (sub.collect_id.empty() ? "" : " " + sub.collect_id) << std::endl;
  return kExitOk;
}

int run_local(const SweepFolder& folder, const std::vector<ManifestRecord>& pending,
              const LocalSweepOptions& lo, bool dry_run) {
  const int per = threads_per_task(lo, pending.size());
  if (dry_run) {
    for (const auto& r : pending) {
      for (const auto& w : task_command(folder, r, lo.program, per, lo.flags)) std::cout << shell_quote(w) << " ";
      std::cout << " # " << r.id << "\n";
    }
    return kExitOk;
  }
  LocalSweepEvents events;
  events.on_start = [](const ManifestRecord& r, std::size_t n, std::size_t total) {
    std::cerr << "[start " << n << "/" << total << "] task " << r.task << " " << r.id << std::endl;
  };
  events.on_finish = [](const TaskOutcome& o, std::size_t n, std::size_t total) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f s", o.seconds);
    std::cerr << "[done " << n << "/" << total << "] task " << o.record->task << " "
              << o.record->id << ": " << run_state(o.record->path) << " (exit " << o.exit_code
              << ", " << buf << ")" << std::endl;
  };
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<TaskOutcome> outcomes = run_local_sweep(folder, pending, lo, events);
  // Summary: every run's state from its file, and why one did not finish.
  int finished = 0;
  std::cout << "task\tstate\tid\n";
  for (const TaskOutcome& o : outcomes) {
    const ManifestRecord& r = *o.record;
    const TaskReport report = task_report(folder, r, lo.attempt);
    finished += report.state == RunState::finished;
    std::cout << r.task << "\t" << report.state << "\t" << r.id;
    if (report.state != RunState::finished) {
      const std::string& error = report.error;
      std::cout << "\t(exit " << o.exit_code << (error.empty() ? "" : ": " + error) << "; logs "
                << folder.log(r.task, lo.attempt, "{out,err}") << ")";
    }
    std::cout << "\n";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::cout << pending.size() << " runs: " << finished << " finished, " << pending.size() - finished
            << " not (" << std::max(1, lo.jobs) << " at a time, " << per << " threads each, " << buf
            << ")\n";
  // The summary files, as Slurm's collect job writes them.
  const ProcessResult c = run_process({lo.program, "collect", folder.dir, "--quiet"},
                                      {.out = Output::capture(), .err = Output::inherit()});
  std::cout << (c.exit_code == 0 ? c.out
                                 : "rnnlab collect " + folder.dir + " failed (exit " +
                                       std::to_string(c.exit_code) + ")\n");
  return finished == static_cast<int>(pending.size()) ? kExitOk : kExitRunFailed;
}

// ---- what a sweep folder remembers for --rerun-failed ----

// The options of the first sweep that --rerun-failed reuses unless given again (one
// `--name=value` line each in DIR/sweep.options; a flag as `--name`).
const char* const kRemembered[] = {"executor", "jobs", "threads", "partition", "time",
                                   "cpus-per-task", "mem", "gres", "sbatch", "job-name",
                                   "no-collect", "plugin-path", "cell-from", "tensorboard"};

constexpr const char* kOptionsFile = "sweep.options";

void save_options(const SweepFolder& folder, const po::variables_map& vm) {
  std::ostringstream s;
  for (const char* k : kRemembered) {
    if (!vm.count(k) || vm[k].defaulted()) continue;
    const boost::any& v = vm[k].value();
    if (const auto* x = boost::any_cast<std::string>(&v))
      s << "--" << k << "="
        << (k == std::string("tensorboard") ? fs::absolute(*x).lexically_normal().string() : *x)
        << "\n";
    else if (const auto* i = boost::any_cast<int>(&v))
      s << "--" << k << "=" << *i << "\n";
    else if (const auto* l = boost::any_cast<std::vector<std::string>>(&v))
      for (const auto& e : *l)  // plugin folders: absolute, as the tasks get them
        s << "--" << k << "=" << (k == std::string("plugin-path") ? fs::absolute(e).lexically_normal().string() : e) << "\n";
    else
      s << "--" << k << "\n";
  }
  folder.write(kOptionsFile, s.str());
}

// `args` plus, for --rerun-failed DIR, the remembered options of DIR not given in `args`.
Args with_remembered(const Args& args) {
  std::string dir;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--rerun-failed" && i + 1 < args.size()) dir = args[i + 1];
    if (args[i].starts_with("--rerun-failed=")) dir = args[i].substr(15);
  }
  if (dir.empty()) return args;
  auto given = [&](const std::string& name) {
    for (const auto& a : args)
      if (a == "--" + name || a.starts_with("--" + name + "=") ||
          (name == "jobs" && a.starts_with("-j")))
        return true;
    return false;
  };
  Args out = args;
  std::ifstream f(dir + "/" + kOptionsFile);
  for (std::string line; std::getline(f, line);) {
    if (!line.starts_with("--")) continue;  // blank or foreign lines
    const std::string name = line.substr(2, line.find('=') - 2);
    if (!given(name)) out.push_back(line);
  }
  return out;
}

}  // namespace

int cmd_sweep(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> files, sets, models, plugin_dirs, cell_from;
  std::string out, executor, rerun, tensorboard;
  int jobs = 0, threads = 0;
  SlurmOptions so;
  opts.add_options()
      ("out,o", po::value(&out)->default_value("results"), "sweep folder (manifest, run files, logs)")
      ("executor", po::value(&executor)->default_value("local"), "local | slurm")
      ("jobs,j", po::value(&jobs), "concurrent runs (local: default 1; slurm: the array's % limit, default none)")
      ("dry-run", "write the manifest, print the commands (local) or sbatch scripts (slurm); run nothing")
      ("rerun-failed", po::value(&rerun), "DIR: run the failed, interrupted and missing runs of DIR again")
      ("set", po::value(&sets)->composing(), "override KEY=VALUE for every run (repeatable)")
      ("model,m", po::value(&models)->composing(), "only this model (repeatable)")
      ("threads", po::value(&threads), "local: CPU threads per run (default: cores / jobs)")
      ("partition", po::value(&so.partition), "slurm: #SBATCH --partition")
      ("time", po::value(&so.time), "slurm: #SBATCH --time per task, e.g. 00:10:00")
      ("cpus-per-task", po::value(&so.cpus_per_task)->default_value(1), "slurm: #SBATCH --cpus-per-task (= threads per run)")
      ("mem", po::value(&so.mem), "slurm: #SBATCH --mem per task, e.g. 2G")
      ("gres", po::value(&so.gres), "slurm: #SBATCH --gres, e.g. gpu:1")
      ("sbatch", po::value(&so.extra)->composing(), "slurm: an extra #SBATCH line, e.g. --account=abc (repeatable)")
      ("job-name", po::value(&so.job_name)->default_value("rnnlab"), "slurm: job name")
      ("no-collect", "slurm: no dependent collect job")
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable; every run gets it)")
      ("cell-from", po::value(&cell_from)->composing(), kCellFromHelp)
      ("tensorboard", po::value(&tensorboard), "TB: TensorBoard event files of every run in TB/<experiment>/<run>/");
  po::options_description hidden;
  hidden.add_options()("files", po::value(&files)->composing(), "experiment files");
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  if (!parse("sweep", kUsage, with_remembered(args), opts, hidden, pos, vm)) return kExitOk;
  if (executor != "local" && executor != "slurm")
    throw UsageError("rnnlab sweep: --executor must be local or slurm, found '" + executor + "'");
  if (jobs < 0 || threads < 0 || so.cpus_per_task < 1)
    throw UsageError("rnnlab sweep: --jobs/--threads must be >= 0, --cpus-per-task >= 1");
  so.collect = vm.count("no-collect") == 0;
  if (vm.count("tensorboard")) {
    if (tensorboard.empty()) throw UsageError("rnnlab sweep: --tensorboard needs a folder");
    tensorboard = fs::absolute(tensorboard).lexically_normal().string();  // tasks run elsewhere
  }
  so.flags.tensorboard = tensorboard;
  for (const auto& d : plugin_dirs)  // tasks run elsewhere: absolute
    so.flags.plugin_dirs.push_back(fs::absolute(d).lexically_normal().string());
  so.flags.cell_from = cell_from;
  const bool dry_run = vm.count("dry-run") > 0;
  for (const auto& e : so.extra)
    if (e.find('\n') != std::string::npos)
      throw UsageError("rnnlab sweep: --sbatch lines must not hold a newline");

  std::string dir;
  std::vector<ManifestRecord> pending;
  // One sweep command per folder at a time (its manifest is rewritten; each run file is
  // locked again by the run that writes it).
  RunLock sweep_lock;
  if (vm.count("rerun-failed")) {
    if (!files.empty() || !sets.empty() || !models.empty())
      throw UsageError("rnnlab sweep: --rerun-failed DIR takes no files, --set or --model");
    dir = fs::absolute(rerun).lexically_normal().string();
    sweep_lock = RunLock(manifest_path(dir));
    const auto records = read_manifest(manifest_path(dir));
    // A file still saying "running" is a killed run unless a Slurm job of the sweep is queued.
    const bool active = slurm_jobs_queued(SweepFolder{dir});
    if (active)
      std::cerr << "rnnlab sweep: a Slurm job of " << dir
                << " is still queued; runs marked running are left alone" << std::endl;
    for (const auto& s : run_statuses(records, std::cerr))
      if (needs_rerun(parse_run_state(s.state), active)) pending.push_back(*s.record);
    std::cerr << "rnnlab sweep: " << pending.size() << " of " << records.size()
              << " runs failed, interrupted, killed or missing in " << dir << std::endl;
    if (pending.empty()) return kExitOk;
  } else {
    if (files.empty())
      throw UsageError("rnnlab sweep: missing the experiment files (FILE.rnn...)\nTry 'rnnlab "
                       "sweep --help'.");
    dir = fs::absolute(out).lexically_normal().string();
    sweep_lock = RunLock(manifest_path(dir));
    auto plugins = load_plugins(plugin_dirs, cell_from);
    Catalog catalog(plugins->cells);
    const std::vector<ManifestRecord> records =
        expand_sweep(SweepFolder{dir}, files, sets, models, catalog,
                     [&](const std::string& file, const std::vector<std::string>& overrides) {
                       return compile_experiment(file, catalog, overrides);
                     });
    fs::create_directories(dir + "/logs");
    write_manifest(manifest_path(dir), records);
    std::cerr << "rnnlab sweep: " << records.size() << " runs -> " << manifest_path(dir)
              << std::endl;
    pending = records;
  }
  fs::create_directories(dir + "/logs");
  const SweepFolder folder{dir};
  if (!vm.count("rerun-failed") && !dry_run) save_options(folder, vm);
  const int attempt = folder.next_attempt(!dry_run);
  const std::string program = current_executable("rnnlab");
  if (executor == "slurm") {
    so.program = program;
    so.jobs = jobs;
    so.attempt = attempt;
    return run_slurm(folder, pending, so, dry_run);
  }
  return run_local(folder, pending, {program, jobs, threads, attempt, so.flags}, dry_run);
}

}  // namespace rnnlab::cli
