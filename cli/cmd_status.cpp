// rnnlab status DIR: the state of every run of a sweep, from the run files' status attributes.
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "sweep_common.h"

namespace rnnlab::cli {

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("rnnlab") : p.string();
}

std::vector<RunStatus> run_statuses(const std::vector<ManifestRecord>& records) {
  std::vector<RunStatus> out;
  for (const auto& r : records) {
    RunStatus s;
    s.record = &r;
    std::string unreadable;
    s.state = run_state(r.path, &s.steps, &s.error, &unreadable);
    if (!unreadable.empty())
      std::cerr << "rnnlab: warning: " << r.path << ": unreadable run file, counted as " << s.state
                << ": " << unreadable << "\n";
    out.push_back(s);
  }
  return out;
}

namespace {

// Runs a shell command line (its words are digits, letters and '_' only); stdout, stderr
// dropped. Returns the exit status (-1 when it could not run).
int sh_capture(const std::string& cmd, std::string& out) {
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Value of `Key=` in a `Key=Value Key=Value` text (first occurrence at a word start), "" if none.
std::string field(const std::string& text, const std::string& key) {
  for (std::size_t pos = 0; (pos = text.find(key + "=", pos)) != std::string::npos; ++pos) {
    if (pos > 0 && !std::isspace(static_cast<unsigned char>(text[pos - 1]))) continue;
    const std::size_t b = pos + key.size() + 1;
    const std::size_t e = text.find_first_of(" \t\n", b);
    return text.substr(b, e == std::string::npos ? std::string::npos : e - b);
  }
  return "";
}

// "0-5,7" contains `task`?
bool in_ranges(const std::string& ranges, int64_t task) {
  std::stringstream ss(ranges);
  for (std::string part; std::getline(ss, part, ',');) {
    part = part.substr(0, part.find('%'));
    const auto dash = part.find('-');
    try {
      const int64_t lo = std::stoll(part.substr(0, dash));
      const int64_t hi = dash == std::string::npos ? lo : std::stoll(part.substr(dash + 1));
      if (task >= lo && task <= hi) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

// Slurm's state of an ended task, lower-cased; "" while it is pending / running / unknown,
// and for COMPLETED (the run file is then the truth).
std::string final_state(std::string st) {
  st = st.substr(0, st.find_first_of(" +"));
  if (st.empty() || st == "PENDING" || st == "RUNNING" || st == "CONFIGURING" ||
      st == "COMPLETING" || st == "SUSPENDED" || st == "REQUEUED" || st == "RESIZING" ||
      st == "SIGNALING" || st == "STAGE_OUT" || st == "STOPPED" || st == "REQUEUE_HOLD" ||
      st == "REQUEUE_FED" || st == "SPECIAL_EXIT" || st == "COMPLETED")
    return "";
  for (char& c : st) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return st;
}

// The jobcomp/filetxt records (one line per ended job) of the cluster, read once.
struct JobComp {
  bool loaded = false;
  std::vector<std::string> lines;
  void load() {
    if (loaded) return;
    loaded = true;
    std::string conf;
    if (sh_capture("scontrol show config", conf) != 0) return;
    std::string loc;
    std::istringstream is(conf);
    for (std::string line; std::getline(is, line);) {
      if (line.rfind("JobCompLoc", 0) != 0) continue;
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      loc = line.substr(eq + 1);
      loc.erase(0, loc.find_first_not_of(' '));
      loc.erase(loc.find_last_not_of(" \r") + 1);
    }
    if (loc.empty() || loc[0] != '/') return;
    std::ifstream f(loc);
    for (std::string line; std::getline(f, line);) lines.push_back(line);
  }
  // The last record of array task `array`_`task` (or of the whole array job when the tasks
  // never started and Slurm recorded the array as one job with a task range).
  std::string state(const std::string& array, int64_t task) {
    load();
    std::string own, whole;  // the task's own record wins over the array's
    for (const auto& l : lines) {
      const std::string aj = field(l, "ArrayJobId");
      const std::string at = field(l, "ArrayTaskId");
      if (aj == array && !at.empty() && in_ranges(at, task))
        own = field(l, "JobState");
      else if (aj.empty() && field(l, "JobId") == array)
        whole = field(l, "JobState");
    }
    return own.empty() ? whole : own;
  }
};

}  // namespace

void apply_slurm_states(const std::string& dir, std::vector<RunStatus>& statuses) {
  // jobs.txt: "array <id> tasks <ranges> [collect <id>]", one line per submission.
  std::vector<std::pair<std::string, std::string>> subs;  // array id, task ranges
  {
    std::ifstream f(dir + "/jobs.txt");
    for (std::string line; std::getline(f, line);) {
      std::istringstream ls(line);
      std::string word, array, ranges;
      for (std::string prev; ls >> word; prev = word) {
        if (prev == "array") array = word;
        if (prev == "tasks") ranges = word;
      }
      if (all_digits(array)) subs.emplace_back(array, ranges);
    }
  }
  if (subs.empty()) return;
  JobComp jobcomp;
  for (auto& s : statuses) {
    if (s.state != "running" && s.state != "missing") continue;
    std::string array;
    for (auto it = subs.rbegin(); it != subs.rend(); ++it)
      if (in_ranges(it->second, s.record->task)) {
        array = it->first;
        break;
      }
    if (array.empty()) continue;
    const std::string task = std::to_string(s.record->task);
    std::string out;
    std::string st;
    if (sh_capture("scontrol -o show job " + array + "_" + task, out) == 0)
      st = field(out, "JobState");
    else
      st = jobcomp.state(array, s.record->task);
    const std::string fin = final_state(st);
    if (!fin.empty()) s.state = fin;
  }
}

namespace {

const char* kUsage =
    "usage: rnnlab status DIR\n"
    "\n"
    "Lists every run of the sweep in DIR (its manifest.tsv) with its state, read from the run\n"
    "file's status attribute: finished, failed, interrupted, running (the file says running:\n"
    "still training, or killed), or missing (no run file yet). For a Slurm sweep (DIR/jobs.txt)\n"
    "a running or missing run whose array task has ended is shown with Slurm's state of that\n"
    "task instead: cancelled, timeout, out_of_memory, node_fail, failed, ... (from `scontrol\n"
    "show job ARRAY_TASK`, else the jobcomp file JobCompLoc). Then one line of counts.\n"
    "`rnnlab sweep --rerun-failed DIR` runs the failed, interrupted and missing ones again.\n"
    "\n"
    "exit status: 0 every run finished, 1 some did not, 2 bad input";

}  // namespace

namespace {
// The first line of `text`, cut to `max` characters ("..." marks a cut).
std::string one_line(const std::string& text, std::size_t max) {
  std::string s = text.substr(0, text.find('\n'));
  return s.size() > max ? s.substr(0, max - 3) + "..." : s;
}
}  // namespace

int cmd_status(const Args& args) {
  po::options_description opts("options");
  std::string dir;
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir), "sweep folder");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  if (!parse("status", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("status", vm, "dir", "the sweep folder (DIR)");
  const auto records = read_manifest(manifest_path(dir));
  auto statuses = run_statuses(records);
  apply_slurm_states(dir, statuses);
  std::map<std::string, int> counts;
  for (const auto& s : statuses) {
    ++counts[s.state];
    std::cout << s.record->task << "\t" << s.state << "\t" << s.record->id;
    if (std::filesystem::exists(s.record->path)) std::cout << "\t" << s.steps << " steps";
    if (!s.error.empty()) std::cout << "\t" << one_line(s.error, 160);
    std::cout << "\n";
  }
  std::cout << statuses.size() << " runs: " << counts["finished"] << " finished, "
            << counts["failed"] << " failed, " << counts["interrupted"] << " interrupted, "
            << counts["running"] << " running, " << counts["missing"] << " missing";
  for (const auto& [state, n] : counts)
    if (state != "finished" && state != "failed" && state != "interrupted" &&
        state != "running" && state != "missing")
      std::cout << ", " << n << " " << state;
  std::cout << "\n";
  return counts["finished"] == static_cast<int>(statuses.size()) ? kExitOk : kExitRunFailed;
}

}  // namespace rnnlab::cli
