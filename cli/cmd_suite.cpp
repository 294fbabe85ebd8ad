// rnnlab suite CELL: the cell ranked against baselines (lstm, gru) on the suite's tasks
// (experiments/suite/*.rnn), all runs as ONE sweep of the sweep machinery, then the leaderboard
// read back from the run files (rnnlab/suite.h; output: suite_output.h).
//
// The suite folder OUT is a sweep folder (sweep_executor.h: manifest.tsv, <task>/<run>/run.h5,
// logs/, Slurm scripts, jobs.txt), so `rnnlab status OUT` and `rnnlab collect OUT` work on it
// too, plus
//   specs/<task>.rnn    the experiment of each task as run: the task file with the budget's
//                       overrides, one model per cell, the seed axis (canonical .rnn text,
//                       describe_spec); the manifest's records point at these files
//   suite.txt           budget, seeds and the command line, for the leaderboard's header
//   leaderboard.{txt,csv,html}   written after every local suite and by --report (and by a
//                       Slurm job afterany the array); never read back: always recomputed
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "rnnlab/process.h"
#include "rnnlab/run_lock.h"
#include "rnnlab/slurm_probe.h"
#include "rnnlab/suite.h"
#include "suite_output.h"
#include "sweep_common.h"

#ifndef RNNLAB_SOURCE_DIR
#define RNNLAB_SOURCE_DIR ""
#endif

namespace rnnlab::cli {

namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: rnnlab suite CELL[,CELL...] [options]\n"
    "       rnnlab suite --report OUT [--leaderboard-dir DIR]\n"
    "\n"
    "Ranks CELL against the baselines on the suite's tasks: every task file of --tasks-dir\n"
    "(char_lm word_lm pos copy selective_copy associative_recall mnist_rows psmnist adding\n"
    "length) has one model `cell` whose recurrent layer becomes CELL and each baseline, at the\n"
    "same hidden size (the leaderboard gives every model's parameter count), run for --seeds\n"
    "seeds. The expanded experiments are written to OUT/specs/<task>.rnn and run as one sweep\n"
    "(OUT is a sweep folder: one run file per run, OUT/<task>/<cell>-seed=<n>/run.h5; `rnnlab\n"
    "status OUT` works). Calling it again continues: finished runs are skipped (after checking\n"
    "they are of the same configuration: a run file of another budget or cell build is refused,\n"
    "use another --out), interrupted or killed ones continue from their checkpoints, missing\n"
    "ones run; failed ones stay failed unless --rerun-failed. A cell that throws or diverges\n"
    "fails only its own runs.\n"
    "\n"
    "The leaderboard (text on stdout, OUT/leaderboard.{txt,csv,html}) is computed from the run\n"
    "files: per task the final eval metric (bpc, perplexity, accuracy or the loss) as mean ± std\n"
    "over the seeds, parameters, ms/step and wall time, the best cell marked, runs that did not\n"
    "finish with their error; then every cell's mean rank over the tasks. --report OUT writes it\n"
    "again without running anything.\n"
    "\n"
    "  --set KEY=VALUE  for CELL only: an argument of the cell (e.g. activation=relu; hidden=N\n"
    "                   overrides the matching) or train.SETTING (e.g. train.path=composed,\n"
    "                   train.optimizer.lr=1e-3) for its models (repeatable)\n"
    "  --budget B       smoke: 3 steps on tiny data (seconds per task, for CI); quick (default):\n"
    "                   the task files' settings, about 20 minutes for one cell and two\n"
    "                   baselines on 2 cores; paper: the papers' settings (a cluster or a GPU)\n"
    "  --executor E     local: --jobs concurrent runs (default: one per core, 1 thread each);\n"
    "                   slurm: an array job (one task per run) and a leaderboard job afterany\n"
    "                   it; the resource options are those of `rnnlab sweep`\n"
    "\n"
    "exit status: 0 every run finished (local) / submitted (slurm), 1 a run did not finish,\n"
    "2 bad input";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The folder of the task files: --tasks-dir, else $RNNLAB_SUITE_DIR, else the source tree's
// experiments/suite.
std::string tasks_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("RNNLAB_SUITE_DIR"); env && *env) return env;
  const std::string built_in = std::string(RNNLAB_SOURCE_DIR) + "/experiments/suite";
  std::error_code ec;
  if (!std::string(RNNLAB_SOURCE_DIR).empty() && fs::is_directory(built_in, ec)) return built_in;
  throw InputError(
      "suite: no task folder: give --tasks-dir DIR (the .rnn files of experiments/suite) or "
      "set RNNLAB_SUITE_DIR");
}

// The suite's own record (the leaderboard's header): "key value" lines.
// `path` relative to the working directory when it lies inside it, else as given: what the
// leaderboard shows (a leaderboard committed with a repository names no folder of the machine
// it was made on).
std::string shown_path(const std::string& path) {
  std::error_code ec;
  const fs::path p(path), cwd = fs::current_path(ec);
  if (ec || !p.is_absolute()) return path;
  const fs::path rel = p.lexically_normal().lexically_relative(cwd);
  return rel.empty() || *rel.begin() == ".." ? path : rel.string();
}

// The command line as run, absolute paths inside the working directory shown relative to it
// (an option's `--name=/path` form too).
void write_info(const SweepFolder& folder, const std::string& budget, int seeds, const Args& args) {
  std::string command = "rnnlab suite";
  for (const auto& a : args) {
    const auto eq = a.starts_with("--") ? a.find('=') : std::string::npos;
    command += " " + shell_quote(eq == std::string::npos
                                     ? shown_path(a)
                                     : a.substr(0, eq + 1) + shown_path(a.substr(eq + 1)));
  }
  folder.write("suite.txt", "budget " + budget + "\nseeds " + std::to_string(seeds) + "\ncommand " +
                                command + "\n");
}

SuiteInfo read_info(const std::string& dir) {
  SuiteInfo info;
  info.dir = shown_path(dir);
  std::ifstream f(dir + "/suite.txt");
  for (std::string line; std::getline(f, line);) {
    const auto sp = line.find(' ');
    const std::string key = line.substr(0, sp),
                      value = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (key == "budget") info.budget = value;
    if (key == "seeds") info.seeds = value;
    if (key == "command") info.command = value;
  }
  return info;
}

// Why a run without a word in its run file did not finish, from its task's logs (the latest
// attempt that has them): the worker's "NAME: FAILED: ERROR -> PATH" line (`failed`: a cell
// that threw on the first batch leaves no file), else the last line of its stderr (the error
// a refused or crashed task printed).
struct LogError {
  bool failed = false;
  std::string message;
};
LogError log_error(const SweepFolder& folder, const ManifestRecord& r) {
  for (int a = folder.next_attempt(false) - 1; a >= 1; --a) {
    const std::string out = folder.log(r.task, a, "out"), err = folder.log(r.task, a, "err");
    std::error_code ec;
    if (!fs::exists(out, ec) && !fs::exists(err, ec)) continue;
    std::istringstream o(read_text(out));
    for (std::string line; std::getline(o, line);)
      if (const auto at = line.find(": FAILED: "); at != std::string::npos) {
        const std::string rest = line.substr(at + 10);
        return {true, rest.substr(0, rest.rfind(" -> "))};
      }
    std::string last;
    std::istringstream e(read_text(err));
    const std::string mine = "task " + std::to_string(r.task) + ": ";
    for (std::string line; std::getline(e, line);)
      if (!line.empty() && !line.starts_with(mine)) last = line;
    return {false, last};
  }
  return {};
}

// The leaderboard of the suite folder `dir`, printed and written to `to`/leaderboard.*.
// `refused`: run paths a worker of this call refused (exit 2), with its message: shown as
// such whatever their files say. Returns whether every run finished.
bool leaderboard(const std::string& dir, const std::string& to,
                 const std::map<std::string, std::string>& refused = {}) {
  const SweepFolder folder{dir};
  RNNLAB_CHECK_INPUT(fs::exists(folder.manifest()), "suite: ", dir,
                     " is no suite folder (no manifest.tsv)");
  const std::vector<ManifestRecord> records = read_manifest(folder.manifest());
  std::vector<RunStatus> statuses = run_statuses(records, std::cerr);
  bool any_file = false, all_finished = true;
  for (RunStatus& s : statuses) {
    if (auto it = refused.find(s.record->path); it != refused.end()) {
      s.state = "refused";
      s.error = it->second;
    }
    const std::optional<RunState> state = parse_run_state(s.state);
    if (state != RunState::finished && s.error.empty()) {
      const LogError e = log_error(folder, *s.record);
      if (e.failed && state == RunState::missing)  // no file: the first batch
        s.state = to_string(RunState::failed);
      s.error = e.message;
    }
    all_finished &= state == RunState::finished;
    std::error_code ec;
    any_file |= fs::exists(s.record->path, ec);
  }
  std::vector<RunRecord> runs;
  if (any_file) {
    try {
      runs = read_runs({dir}, std::cerr);
    } catch (const InputError& e) {  // every file unreadable: the states say the rest
      std::cerr << "warning: " << e.what() << std::endl;
    }
  }
  const Leaderboard lb = make_leaderboard(statuses, runs);
  const SuiteInfo info = read_info(dir);
  const std::string text = leaderboard_text(lb, info);
  std::cout << text << std::flush;
  fs::create_directories(to);
  const SweepFolder out{to};
  out.write("leaderboard.txt", text);
  out.write("leaderboard.csv", leaderboard_csv(lb));
  write_leaderboard_html(to + "/leaderboard.html", lb, info);
  std::cerr << "rnnlab suite: leaderboard -> " << to << "/leaderboard.{txt,csv,html}" << std::endl;
  return all_finished;
}

// The header of OUT/specs/<task>.rnn.
std::string spec_header(const SuiteTask& task, const std::string& budget,
                        const std::vector<std::string>& overrides,
                        const std::vector<SuiteCell>& cells, int seeds) {
  std::vector<std::string> names;
  for (const auto& c : cells) names.push_back(c.name);
  return "# rnnlab suite, task " + task.name + ": " + task.file + "\n# budget " + budget +
         (overrides.empty() ? "" : " (" + join(overrides, " ") + ")") + "; cells " +
         join(names, ", ") + " at the task's hidden size; seeds 1.." + std::to_string(seeds) +
         ".\n# Written by `rnnlab suite`; each run of this experiment is one cell and seed.\n";
}

// `sbatch --parsable --dependency=afterany:AFTER SCRIPT`: the job id.
std::string sbatch_after(const std::string& after, const std::string& script) {
  ProcessResult r;
  try {
    r = run_process({"sbatch", "--parsable", "--dependency=afterany:" + after, script},
                    {.out = Output::capture(), .err = Output::inherit()});
  } catch (const ProcessStartError& e) {
    throw InputError("sbatch " + script + " failed: " + e.what());
  }
  const std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  RNNLAB_CHECK_INPUT(r.exit_code == 0 && !id.empty(), "sbatch ", script, " failed (exit ",
                     r.exit_code, "): ", r.out);
  return id;
}

// The leaderboard job's script: `rnnlab suite --report OUT` once the array has ended.
std::string leaderboard_script(const SweepFolder& folder, const SlurmOptions& so,
                               const std::string& to) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# rnnlab suite: the leaderboard of " << folder.dir << " once every array task has ended\n"
    << "#SBATCH --job-name=" << so.job_name << "-leaderboard\n"
    << "#SBATCH --output=" << folder.logs() << "/leaderboard.out\n"
    << "#SBATCH --error=" << folder.logs() << "/leaderboard.err\n"
    << "#SBATCH --cpus-per-task=1\n";
  if (!so.partition.empty()) s << "#SBATCH --partition=" << so.partition << "\n";
  if (!so.time.empty()) s << "#SBATCH --time=" << so.time << "\n";
  for (const auto& e : so.extra) s << "#SBATCH " << e << "\n";
  s << "set -u\nexec " << shell_quote(so.program) << " suite --report " << shell_quote(folder.dir)
    << " --leaderboard-dir " << shell_quote(to) << "\n";
  return s.str();
}

int run_local(const SweepFolder& folder, const std::vector<ManifestRecord>& pending,
              LocalSweepOptions lo, bool dry_run, const std::string& to) {
  if (lo.jobs <= 0) lo.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int per = threads_per_task(lo, pending.size());
  if (dry_run) {
    for (const auto& r : pending) {
      for (const auto& w : task_command(folder, r, lo.program, per, lo.flags))
        std::cout << shell_quote(w) << " ";
      std::cout << " # " << r.id << "\n";
    }
    return kExitOk;
  }
  std::map<std::string, std::string> refused;
  if (!pending.empty()) {
    LocalSweepEvents events;
    events.on_start = [](const ManifestRecord& r, std::size_t n, std::size_t total) {
      std::cerr << "[start " << n << "/" << total << "] " << r.id << std::endl;
    };
    events.on_finish = [&](const TaskOutcome& o, std::size_t n, std::size_t total) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f s", o.seconds);
      std::cerr << "[done " << n << "/" << total << "] " << o.record->id << ": "
                << run_state(o.record->path) << " (exit " << o.exit_code << ", " << buf << ")"
                << std::endl;
    };
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<TaskOutcome> outcomes = run_local_sweep(folder, pending, lo, events);
    for (const TaskOutcome& o : outcomes)
      if (o.exit_code == kExitBadInput) {
        const std::string why = log_error(folder, *o.record).message;
        refused[o.record->path] = why;
        std::cerr << "rnnlab suite: " << o.record->id << " was refused: " << why << std::endl;
      }
    std::fprintf(stderr, "rnnlab suite: %zu runs in %.1f s (%d at a time, %d thread%s each)\n",
                 pending.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                 lo.jobs, per, per == 1 ? "" : "s");
  }
  return leaderboard(folder.dir, to, refused) ? kExitOk : kExitRunFailed;
}

int run_slurm(const SweepFolder& folder, const std::vector<ManifestRecord>& pending,
              const SlurmOptions& so, bool dry_run, const std::string& to) {
  std::vector<int64_t> tasks;
  for (const auto& r : pending) tasks.push_back(r.task);
  if (dry_run) {
    write_slurm_scripts(folder, tasks, so);
    std::cout << "# " << folder.array_script() << "\n"
              << slurm_array_script(folder, tasks, so) << "\n# " << folder.dir
              << "/leaderboard.sbatch (afterany the array)\n"
              << leaderboard_script(folder, so, to);
    return kExitOk;
  }
  if (tasks.empty()) {
    std::cerr << "rnnlab suite: nothing to submit" << std::endl;
    return leaderboard(folder.dir, to) ? kExitOk : kExitRunFailed;
  }
  const SlurmSubmission sub = submit_slurm_sweep(folder, tasks, so);
  folder.write("leaderboard.sbatch", leaderboard_script(folder, so, to));
  const std::string board = sbatch_after(sub.array_id, folder.dir + "/leaderboard.sbatch");
  std::cout << "submitted array job " << sub.array_id << " (" << tasks.size() << " runs"
            << (so.jobs > 0 ? ", at most " + std::to_string(so.jobs) + " at a time" : "")
            << "); leaderboard job " << board << " (afterany): " << to
            << "/leaderboard.{txt,csv,html}\n"
            << sub.array_id << " " << board << std::endl;
  return kExitOk;
}

}  // namespace

int cmd_suite(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> cells_arg, sets, plugin_dirs, cell_from, sbatch_extra;
  std::string baselines, tasks_arg, budget, given_tasks_dir, out, executor, report, board_dir;
  int seeds = 1, jobs = 0, threads = 0;
  SlurmOptions so;
  // clang-format off
  opts.add_options()
      ("set", po::value(&sets)->composing(), "KEY=VALUE for CELL only: a cell argument or train.SETTING (repeatable)")
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable)")
      ("cell-from", po::value(&cell_from)->composing(), kCellFromHelp)
      ("baselines", po::value(&baselines)->default_value("lstm,gru"), "cells to rank CELL against, comma-separated (\"\": none)")
      ("tasks", po::value(&tasks_arg), "only these tasks, comma-separated (default: every task file)")
      ("seeds", po::value(&seeds)->default_value(1), "seeds 1..N of every cell and task")
      ("budget", po::value(&budget)->default_value("quick"), "smoke | quick | paper")
      ("tasks-dir", po::value(&given_tasks_dir), "the task files (default: $RNNLAB_SUITE_DIR, else the source tree's experiments/suite)")
      ("out,o", po::value(&out), "the suite folder (default: results/runs/suite-<budget>)")
      ("executor", po::value(&executor)->default_value("local"), "local | slurm")
      ("jobs,j", po::value(&jobs), "concurrent runs (local: default one per core; slurm: the array's % limit)")
      ("threads", po::value(&threads), "local: CPU threads per run (default: cores / jobs)")
      ("rerun-failed", "run the failed runs again too (and nothing else that finished)")
      ("dry-run", "write the specs and the manifest, print the commands or sbatch scripts; run nothing")
      ("report", po::value(&report), "OUT: only the leaderboard of the suite folder OUT")
      ("leaderboard-dir", po::value(&board_dir), "where leaderboard.{txt,csv,html} go (default: the suite folder)")
      ("partition", po::value(&so.partition), "slurm: #SBATCH --partition")
      ("time", po::value(&so.time), "slurm: #SBATCH --time per run, e.g. 00:10:00")
      ("cpus-per-task", po::value(&so.cpus_per_task)->default_value(1), "slurm: #SBATCH --cpus-per-task (= threads per run)")
      ("mem", po::value(&so.mem), "slurm: #SBATCH --mem per run, e.g. 2G")
      ("gres", po::value(&so.gres), "slurm: #SBATCH --gres, e.g. gpu:1")
      ("sbatch", po::value(&sbatch_extra)->composing(), "slurm: an extra #SBATCH line (repeatable)")
      ("job-name", po::value(&so.job_name)->default_value("rnnlab-suite"), "slurm: job name");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("cell", po::value(&cells_arg)->composing(), "the cell(s) to rank");
  po::positional_options_description pos;
  pos.add("cell", -1);
  po::variables_map vm;
  if (!parse("suite", kUsage, args, opts, hidden, pos, vm)) return kExitOk;

  if (vm.count("report")) {
    if (vm.count("cell"))
      throw UsageError("rnnlab suite: --report OUT takes no CELL (it runs nothing)");
    const std::string dir = fs::absolute(report).lexically_normal().string();
    leaderboard(dir, board_dir.empty() ? dir : fs::absolute(board_dir).lexically_normal().string());
    return kExitOk;
  }
  if (!vm.count("cell"))
    throw UsageError("rnnlab suite: missing the cell to rank (CELL)\nTry 'rnnlab suite --help'.");
  if (executor != "local" && executor != "slurm")
    throw UsageError("rnnlab suite: --executor must be local or slurm, found '" + executor + "'");
  if (std::find(suite_budgets().begin(), suite_budgets().end(), budget) == suite_budgets().end())
    throw UsageError("rnnlab suite: --budget must be smoke, quick or paper, found '" + budget +
                     "'");
  if (seeds < 1) throw UsageError("rnnlab suite: --seeds must be at least 1");
  if (jobs < 0 || threads < 0 || so.cpus_per_task < 1)
    throw UsageError("rnnlab suite: --jobs/--threads must be >= 0, --cpus-per-task >= 1");
  for (const auto& e : sbatch_extra)
    if (e.find('\n') != std::string::npos)
      throw UsageError("rnnlab suite: --sbatch lines must not hold a newline");
  std::vector<std::string> candidates;
  for (const auto& c : cells_arg)
    for (const auto& name : split_list(c)) candidates.push_back(name);
  const bool dry_run = vm.count("dry-run") > 0, rerun_failed = vm.count("rerun-failed") > 0;

  const std::string dir =
      fs::absolute(out.empty() ? "results/runs/suite-" + budget : out).lexically_normal().string();
  const std::string to =
      board_dir.empty() ? dir : fs::absolute(board_dir).lexically_normal().string();
  const SweepFolder folder{dir};
  fs::create_directories(dir + "/specs");
  // One suite or sweep command per folder at a time (each run file is locked again by its run).
  RunLock lock(manifest_path(dir));

  auto plugins = load_plugins(plugin_dirs, cell_from);
  Catalog catalog(plugins->cells);
  const std::vector<SuiteCell> cells =
      suite_cells(candidates, sets, split_list(baselines), catalog);
  const std::vector<SuiteTask> tasks =
      select_suite_tasks(suite_tasks(tasks_dir(given_tasks_dir)), split_list(tasks_arg));

  // Each task's experiment as canonical .rnn text in OUT/specs (rewritten only when it changed).
  std::vector<std::string> files;
  for (const SuiteTask& task : tasks) {
    const std::vector<std::string> overrides = suite_budget_overrides(budget, task.name);
    const ExperimentSpec spec = compile_experiment(task.file, catalog, overrides);
    const std::string path = dir + "/specs/" + task.name + ".rnn";
    const std::string text = spec_header(task, budget, overrides, cells, seeds) +
                             describe_spec(suite_experiment(spec, cells, seeds, catalog, path));
    if (read_text(path) != text) folder.write("specs/" + task.name + ".rnn", text);
    files.push_back(path);
  }
  const std::vector<ManifestRecord> records =
      expand_sweep(folder, files, {}, {}, catalog,
                   [&](const std::string& file, const std::vector<std::string>& overrides) {
                     return compile_experiment(file, catalog, overrides);
                   });
  fs::create_directories(folder.logs());
  write_manifest(folder.manifest(), records);
  if (!dry_run) write_info(folder, budget, seeds, args);

  // What runs: everything but the failed runs (a worker skips a finished run after checking
  // its identity, continues an interrupted one); --rerun-failed: the failed, interrupted,
  // killed and missing ones. A run a queued Slurm job of OUT may still be running is left
  // alone.
  const bool queued = slurm_jobs_queued(folder);
  std::vector<ManifestRecord> pending;
  std::size_t failed_kept = 0;
  for (const RunStatus& s : run_statuses(records, std::cerr)) {
    const std::optional<RunState> state = parse_run_state(s.state);
    if (state == RunState::running && queued) continue;
    if (rerun_failed ? needs_rerun(state, queued) : state != RunState::failed)
      pending.push_back(*s.record);
    else if (state == RunState::failed)
      ++failed_kept;
  }
  auto count = [](std::size_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  std::cerr << "rnnlab suite: " << count(cells.size(), "cell") << " x "
            << count(tasks.size(), "task") << " x "
            << count(static_cast<std::size_t>(seeds), "seed") << " = " << records.size()
            << " runs in " << dir << "; " << pending.size() << " to run";
  if (failed_kept > 0) std::cerr << ", " << failed_kept << " failed kept (--rerun-failed)";
  std::cerr << std::endl;

  TaskFlags flags;  // the workers load the plugins this process loaded
  for (const auto& d : plugin_dirs)
    flags.plugin_dirs.push_back(fs::absolute(d).lexically_normal().string());
  flags.cell_from = cell_from;
  const int attempt = folder.next_attempt(!dry_run);
  const std::string program = current_executable("rnnlab");
  if (executor == "slurm") {
    so.program = program;
    so.jobs = jobs;
    so.attempt = attempt;
    so.extra = sbatch_extra;
    so.flags = flags;
    return run_slurm(folder, pending, so, dry_run, to);
  }
  LocalSweepOptions lo;
  lo.program = program;
  lo.jobs = jobs;
  lo.threads = threads;
  lo.attempt = attempt;
  lo.flags = flags;
  return run_local(folder, pending, lo, dry_run, to);
}

}  // namespace rnnlab::cli
