// What Slurm says about a sweep's jobs: squeue, scontrol and the jobcomp file (slurm_probe.h).
#include "rnnlab/slurm_probe.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "rnnlab/process.h"

namespace rnnlab {

namespace {

// Runs a Slurm command, stderr discarded: its stdout, or false when it cannot run or fails.
bool slurm_command(const std::vector<std::string>& argv, std::string& out) {
  try {
    ProcessResult r = run_process(argv, {.out = Output::capture(), .err = Output::discard()});
    out = std::move(r.out);
    return r.exit_code == 0;
  } catch (const ProcessStartError&) {
    return false;
  }
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

// One submission of jobs.txt: "array <id> tasks <ranges>[ collect <id>]".
struct Submission {
  std::string array, ranges, collect;
};

std::vector<Submission> read_jobs(const SweepFolder& folder) {
  std::vector<Submission> subs;
  std::ifstream f(folder.jobs());
  for (std::string line; std::getline(f, line);) {
    std::istringstream ls(line);
    Submission s;
    for (std::string word, prev; ls >> word; prev = word) {
      if (prev == "array") s.array = word;
      if (prev == "tasks") s.ranges = word;
      if (prev == "collect") s.collect = word;
    }
    if (!s.array.empty() || !s.collect.empty()) subs.push_back(s);
  }
  return subs;
}

// The jobcomp/filetxt records (one line per ended job) of the cluster, read once.
struct JobComp {
  bool loaded = false;
  std::vector<std::string> lines;
  void load() {
    if (loaded) return;
    loaded = true;
    std::string conf;
    if (!slurm_command({"scontrol", "show", "config"}, conf)) return;
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
      if (aj == array && !at.empty() && in_array_ranges(at, task))
        own = field(l, "JobState");
      else if (aj.empty() && field(l, "JobId") == array)
        whole = field(l, "JobState");
    }
    return own.empty() ? whole : own;
  }
};

}  // namespace

bool slurm_jobs_queued(const SweepFolder& folder) {
  std::string ids;
  for (const Submission& s : read_jobs(folder))
    for (const std::string* id : {&s.array, &s.collect})
      if (!id->empty()) ids += (ids.empty() ? "" : ",") + *id;
  if (ids.empty()) return false;
  std::string out;
  return slurm_command({"squeue", "-h", "-o", "%i", "-j", ids}, out) &&
         out.find_first_not_of(" \n") != std::string::npos;
}

std::string slurm_final_state(const std::string& job_state) {
  std::string st = job_state.substr(0, job_state.find_first_of(" +"));
  if (st.empty() || st == "PENDING" || st == "RUNNING" || st == "CONFIGURING" ||
      st == "COMPLETING" || st == "SUSPENDED" || st == "REQUEUED" || st == "RESIZING" ||
      st == "SIGNALING" || st == "STAGE_OUT" || st == "STOPPED" || st == "REQUEUE_HOLD" ||
      st == "REQUEUE_FED" || st == "SPECIAL_EXIT" || st == "COMPLETED")
    return "";
  for (char& c : st) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return st;
}

std::map<int64_t, std::string> slurm_final_states(const SweepFolder& folder,
                                                  const std::vector<int64_t>& tasks) {
  std::vector<Submission> subs = read_jobs(folder);
  std::erase_if(subs, [](const Submission& s) { return !all_digits(s.array); });
  std::map<int64_t, std::string> out;
  if (subs.empty()) return out;
  JobComp jobcomp;
  for (const int64_t task : tasks) {
    std::string array;
    for (auto it = subs.rbegin(); it != subs.rend(); ++it)
      if (in_array_ranges(it->ranges, task)) {
        array = it->array;
        break;
      }
    if (array.empty()) continue;
    std::string text, state;
    if (slurm_command({"scontrol", "-o", "show", "job", array + "_" + std::to_string(task)}, text))
      state = field(text, "JobState");
    else
      state = jobcomp.state(array, task);
    if (std::string fin = slurm_final_state(state); !fin.empty()) out[task] = fin;
  }
  return out;
}

void apply_slurm_states(const SweepFolder& folder, std::vector<RunStatus>& statuses) {
  auto open = [](const RunStatus& s) {
    const std::optional<RunState> state = parse_run_state(s.state);
    return state == RunState::running || state == RunState::missing;
  };
  std::vector<int64_t> tasks;  // the runs Slurm may know more about
  for (const auto& s : statuses)
    if (open(s)) tasks.push_back(s.record->task);
  if (tasks.empty()) return;
  const auto slurm = slurm_final_states(folder, tasks);
  for (auto& s : statuses)
    if (open(s))
      if (auto it = slurm.find(s.record->task); it != slurm.end()) s.state = it->second;
}

}  // namespace rnnlab
