// rnnlab sweep FILE.rnn...: expands models x sweep grid x seeds into DIR/manifest.tsv and runs
// it locally (N concurrent `rnnlab run --manifest --task-id` processes) or as a Slurm array job
// with a dependent collect job.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "rnnlab/run_lock.h"
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
    "\n"
    "exit status: 0 all runs finished (local) / submitted (slurm), 1 a run failed, 2 bad input";

struct SlurmOptions {
  std::string partition, time, mem, gres, job_name;
  int cpus_per_task = 1;
  std::vector<std::string> extra;
  bool collect = true;
};

// "0-5,7,9-10" from sorted distinct task numbers.
std::string array_ranges(std::vector<int64_t> tasks) {
  std::sort(tasks.begin(), tasks.end());
  std::string out;
  for (std::size_t i = 0; i < tasks.size();) {
    std::size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(tasks[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(tasks[j]);
    }
    i = j + 1;
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=:,+%@") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string array_script(const std::string& dir, const std::vector<int64_t>& tasks, int jobs,
                         const SlurmOptions& so, int attempt) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# rnnlab sweep: one array task per run of " << dir << "/manifest.tsv\n"
    << "#SBATCH --job-name=" << so.job_name << "\n"
    << "#SBATCH --array=" << array_ranges(tasks);
  if (jobs > 0) s << '%' << jobs;
  s << "\n"
    << "#SBATCH --output=" << dir << "/logs/task-%a.attempt-" << attempt << ".out\n"
    << "#SBATCH --error=" << dir << "/logs/task-%a.attempt-" << attempt << ".err\n"
    << "#SBATCH --cpus-per-task=" << so.cpus_per_task << "\n";
  if (!so.partition.empty()) s << "#SBATCH --partition=" << so.partition << "\n";
  if (!so.time.empty()) s << "#SBATCH --time=" << so.time << "\n";
  if (!so.mem.empty()) s << "#SBATCH --mem=" << so.mem << "\n";
  if (!so.gres.empty()) s << "#SBATCH --gres=" << so.gres << "\n";
  for (const auto& e : so.extra) s << "#SBATCH " << e << "\n";
  s << "set -u\n"
    << "exec " << shell_quote(self_exe()) << " run --manifest "
    << shell_quote(manifest_path(dir))
    << " --task-id \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-1}\" --quiet\n";
  return s.str();
}

std::string collect_script(const std::string& dir, const SlurmOptions& so) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# rnnlab sweep: summary of " << dir << " once every array task has ended (afterany)\n"
    << "#SBATCH --job-name=" << so.job_name << "-collect\n"
    << "#SBATCH --output=" << dir << "/logs/collect.out\n"
    << "#SBATCH --error=" << dir << "/logs/collect.err\n"
    << "#SBATCH --cpus-per-task=1\n";
  if (!so.partition.empty()) s << "#SBATCH --partition=" << so.partition << "\n";
  if (!so.time.empty()) s << "#SBATCH --time=" << so.time << "\n";
  for (const auto& e : so.extra) s << "#SBATCH " << e << "\n";
  s << "set -u\n"
    << "exec " << shell_quote(self_exe()) << " collect " << shell_quote(dir) << "\n";
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.close();
  RNNLAB_CHECK_INPUT(f.good(), "cannot write ", path);
}

// Runs `argv` with stdout captured (stderr passed through); returns the exit status.
int capture(const std::vector<std::string>& words, std::string& out) {
  std::vector<char*> argv;
  std::vector<std::string> w = words;
  for (auto& x : w) argv.push_back(x.data());
  argv.push_back(nullptr);
  int fds[2];
  RNNLAB_CHECK(::pipe(fds) == 0, "pipe: ", std::strerror(errno));
  const pid_t pid = ::fork();
  RNNLAB_CHECK(pid >= 0, "fork: ", std::strerror(errno));
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string sbatch(const std::vector<std::string>& extra_args, const std::string& script) {
  std::vector<std::string> words = {"sbatch", "--parsable"};
  words.insert(words.end(), extra_args.begin(), extra_args.end());
  words.push_back(script);
  std::string out;
  const int rc = capture(words, out);
  std::string id = out.substr(0, out.find_first_of(";\n"));
  if (rc != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw InputError("sbatch " + script + " failed (exit " + std::to_string(rc) + "): " + out);
  return id;
}

int run_slurm(const std::string& dir, const std::vector<ManifestRecord>& pending, int jobs,
              const SlurmOptions& so, bool dry_run, int attempt) {
  std::vector<int64_t> tasks;
  for (const auto& r : pending) tasks.push_back(r.task);
  const std::string array = array_script(dir, tasks, jobs, so, attempt);
  const std::string collect = collect_script(dir, so);
  write_file(dir + "/sweep.sbatch", array);
  write_file(dir + "/collect.sbatch", collect);
  if (dry_run) {
    std::cout << "# " << dir << "/sweep.sbatch  (sbatch --parsable " << dir << "/sweep.sbatch)\n"
              << array;
    if (so.collect)
      std::cout << "\n# " << dir << "/collect.sbatch  (sbatch --parsable "
                << "--dependency=afterany:<array job id> " << dir << "/collect.sbatch)\n"
                << collect;
    return kExitOk;
  }
  const std::string array_id = sbatch({}, dir + "/sweep.sbatch");
  std::string collect_id;
  if (so.collect)
    collect_id = sbatch({"--dependency=afterany:" + array_id}, dir + "/collect.sbatch");
  std::ofstream(dir + "/jobs.txt", std::ios::app)
      << "array " << array_id << " tasks " << array_ranges(tasks)
      << (collect_id.empty() ? "" : " collect " + collect_id) << "\n";
  std::cout << "submitted array job " << array_id << " (" << pending.size() << " tasks"
            << (jobs > 0 ? ", at most " + std::to_string(jobs) + " at a time" : "") << ")";
  if (!collect_id.empty()) std::cout << "; collect job " << collect_id << " (afterany)";
  std::cout << "\n" << array_id << (collect_id.empty() ? "" : " " + collect_id) << std::endl;
  return kExitOk;
}

// The last non-empty line of a text file ("" if none).
std::string last_line(const std::string& path) {
  std::ifstream f(path);
  std::string line, last;
  while (std::getline(f, line))
    if (!line.empty()) last = line;
  return last;
}

std::string log_path(const std::string& dir, int64_t task, int attempt, const char* ext) {
  return dir + "/logs/task-" + std::to_string(task) + ".attempt-" + std::to_string(attempt) + "." +
         ext;
}

int run_local(const std::string& dir, const std::vector<ManifestRecord>& pending, int jobs,
              int threads, bool dry_run, int attempt) {
  const std::string exe = self_exe();
  if (jobs <= 0) jobs = 1;
  const int hw = std::max(1u, std::thread::hardware_concurrency());
  const int per = threads > 0 ? threads : std::max(1, hw / std::min<int>(jobs, std::max<int>(1, int(pending.size()))));
  auto command = [&](const ManifestRecord& r) {
    return std::vector<std::string>{exe,       "run",      "--manifest",
                                    manifest_path(dir),   "--task-id", std::to_string(r.task),
                                    "--threads", std::to_string(per), "--quiet"};
  };
  if (dry_run) {
    for (const auto& r : pending) {
      for (const auto& w : command(r)) std::cout << shell_quote(w) << " ";
      std::cout << " # " << r.id << "\n";
    }
    return kExitOk;
  }
  fs::create_directories(dir + "/logs");
  std::map<pid_t, std::pair<const ManifestRecord*, std::chrono::steady_clock::time_point>> live;
  std::map<int64_t, int> codes;
  std::size_t next = 0, done = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (done < pending.size()) {
    while (next < pending.size() && static_cast<int>(live.size()) < jobs) {
      const ManifestRecord& r = pending[next++];
      auto words = command(r);
      std::vector<char*> argv;
      for (auto& w : words) argv.push_back(w.data());
      argv.push_back(nullptr);
      const std::string out = log_path(dir, r.task, attempt, "out");
      const std::string err = log_path(dir, r.task, attempt, "err");
      const pid_t pid = ::fork();
      RNNLAB_CHECK(pid >= 0, "fork: ", std::strerror(errno));
      if (pid == 0) {
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0) ::_exit(126);
        ::dup2(o, 1);
        ::dup2(e, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
      }
      live[pid] = {&r, std::chrono::steady_clock::now()};
      std::cerr << "[start " << next << "/" << pending.size() << "] task " << r.task << " " << r.id
                << std::endl;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("waitpid: ") + std::strerror(errno));
    }
    auto it = live.find(pid);
    if (it == live.end()) continue;
    const ManifestRecord& r = *it->second.first;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.second).count();
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    codes[r.task] = code;
    live.erase(it);
    ++done;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f s", secs);
    std::cerr << "[done " << done << "/" << pending.size() << "] task " << r.task << " " << r.id
              << ": " << run_state(r.path) << " (exit " << code << ", " << buf << ")" << std::endl;
  }
  // Summary: every run's state from its file, and why one did not finish.
  int finished = 0;
  std::cout << "task\tstate\tid\n";
  for (const auto& r : pending) {
    std::string error;
    const std::string state = run_state(r.path, nullptr, &error);
    finished += state == "finished";
    std::cout << r.task << "\t" << state << "\t" << r.id;
    if (state != "finished") {
      if (error.empty()) error = last_line(log_path(dir, r.task, attempt, "err"));
      std::cout << "\t(exit " << codes[r.task] << (error.empty() ? "" : ": " + error)
                << "; logs " << log_path(dir, r.task, attempt, "{out,err}") << ")";
    }
    std::cout << "\n";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::cout << pending.size() << " runs: " << finished << " finished, " << pending.size() - finished
            << " not (" << jobs << " at a time, " << per << " threads each, " << buf << ")\n";
  // The summary files, as Slurm's collect job writes them.
  std::string collected;
  const int rc = capture({exe, "collect", dir, "--quiet"}, collected);
  std::cout << (rc == 0 ? collected : "rnnlab collect " + dir + " failed (exit " +
                                          std::to_string(rc) + ")\n");
  return finished == static_cast<int>(pending.size()) ? kExitOk : kExitRunFailed;
}

// ---- what a sweep folder remembers for --rerun-failed ----

// The options of the first sweep that --rerun-failed reuses unless given again (one
// `--name=value` line each in DIR/sweep.options; a flag as `--name`).
const char* const kRemembered[] = {"executor", "jobs", "threads", "partition", "time",
                                   "cpus-per-task", "mem", "gres", "sbatch", "job-name",
                                   "no-collect", "plugin-path"};

std::string options_path(const std::string& dir) { return dir + "/sweep.options"; }

void save_options(const std::string& dir, const po::variables_map& vm) {
  std::ostringstream s;
  for (const char* k : kRemembered) {
    if (!vm.count(k) || vm[k].defaulted()) continue;
    const boost::any& v = vm[k].value();
    if (const auto* x = boost::any_cast<std::string>(&v))
      s << "--" << k << "=" << *x << "\n";
    else if (const auto* i = boost::any_cast<int>(&v))
      s << "--" << k << "=" << *i << "\n";
    else if (const auto* l = boost::any_cast<std::vector<std::string>>(&v))
      for (const auto& e : *l) s << "--" << k << "=" << e << "\n";
    else
      s << "--" << k << "\n";
  }
  write_file(options_path(dir), s.str());
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
  std::ifstream f(options_path(dir));
  for (std::string line; std::getline(f, line);) {
    const std::string name = line.substr(2, line.find('=') - 2);
    if (line.starts_with("--") && !given(name)) out.push_back(line);
  }
  return out;
}

// The number of this sweep command in DIR (1 for the first), counted in DIR/attempts.
int next_attempt(const std::string& dir, bool record) {
  int n = 0;
  std::ifstream(dir + "/attempts") >> n;
  if (record) write_file(dir + "/attempts", std::to_string(n + 1) + "\n");
  return n + 1;
}

// Is a Slurm job of this sweep (DIR/jobs.txt) still pending or running? (false without one)
bool slurm_jobs_active(const std::string& dir) {
  std::ifstream f(dir + "/jobs.txt");
  std::string ids;
  for (std::string word, prev; f >> word; prev = word)
    if (prev == "array" || prev == "collect") ids += (ids.empty() ? "" : ",") + word;
  if (ids.empty()) return false;
  std::string out;
  const int rc = capture({"squeue", "-h", "-o", "%i", "-j", ids}, out);
  return rc == 0 && out.find_first_not_of(" \n") != std::string::npos;
}

}  // namespace

int cmd_sweep(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> files, sets, models, plugin_dirs;
  std::string out, executor, rerun;
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
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable)");
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
    const bool active = slurm_jobs_active(dir);
    if (active)
      std::cerr << "rnnlab sweep: a Slurm job of " << dir
                << " is still queued; runs marked running are left alone" << std::endl;
    for (const auto& s : run_statuses(records))
      if (s.state == "failed" || s.state == "interrupted" || s.state == "missing" ||
          (s.state == "running" && !active))
        pending.push_back(*s.record);
    std::cerr << "rnnlab sweep: " << pending.size() << " of " << records.size()
              << " runs failed, interrupted, killed or missing in " << dir << std::endl;
    if (pending.empty()) return kExitOk;
  } else {
    if (files.empty())
      throw UsageError("rnnlab sweep: missing the experiment files (FILE.rnn...)\nTry 'rnnlab "
                       "sweep --help'.");
    dir = fs::absolute(out).lexically_normal().string();
    sweep_lock = RunLock(manifest_path(dir));
    auto plugins = load_plugins(plugin_dirs);
    Catalog catalog(plugins->cells);
    std::vector<ManifestRecord> records;
    for (const auto& file : files) {
      ExperimentSpec spec = compile_experiment(file, catalog, sets);
      RunOptions options;
      options.out_dir = dir;
      // Models absent from this file are fine when several files are given.
      for (const auto& m : models)
        if (files.size() == 1 || std::any_of(spec.models.begin(), spec.models.end(),
                                             [&](const ModelSpec& x) { return x.name == m; }))
          options.models.push_back(m);
      if (!models.empty() && options.models.empty()) continue;
      auto part = expand_manifest(spec, catalog, options, file, sets);
      records.insert(records.end(), part.begin(), part.end());
    }
    RNNLAB_CHECK_INPUT(!records.empty(), "the sweep has no runs");
    std::vector<ManifestRecord> previous;
    if (fs::exists(manifest_path(dir))) previous = read_manifest(manifest_path(dir));
    assign_tasks(records, previous);
    fs::create_directories(dir + "/logs");
    write_manifest(manifest_path(dir), records);
    std::cerr << "rnnlab sweep: " << records.size() << " runs -> " << manifest_path(dir)
              << std::endl;
    pending = records;
  }
  fs::create_directories(dir + "/logs");
  if (!vm.count("rerun-failed") && !dry_run) save_options(dir, vm);
  const int attempt = next_attempt(dir, !dry_run);
  if (executor == "slurm") return run_slurm(dir, pending, jobs, so, dry_run, attempt);
  return run_local(dir, pending, jobs, threads, dry_run, attempt);
}

}  // namespace rnnlab::cli
