// The local executor: at most `jobs` task processes at a time (sweep_executor.h).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "rnnlab/process.h"
#include "rnnlab/run_state.h"
#include "rnnlab/sweep_executor.h"

namespace rnnlab {

int threads_per_task(const LocalSweepOptions& options, std::size_t tasks) {
  if (options.threads > 0) return options.threads;
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int jobs = std::max(1, options.jobs);
  return std::max(1, hw / std::min(jobs, std::max(1, static_cast<int>(tasks))));
}

std::vector<TaskOutcome> run_local_sweep(const SweepFolder& folder,
                                         const std::vector<ManifestRecord>& tasks,
                                         const LocalSweepOptions& options,
                                         const LocalSweepEvents& events) {
  using Clock = std::chrono::steady_clock;
  const int jobs = std::max(1, options.jobs);
  const int threads = threads_per_task(options, tasks.size());
  std::filesystem::create_directories(folder.logs());
  std::vector<TaskOutcome> outcomes(tasks.size());
  std::map<pid_t, std::pair<std::size_t, Clock::time_point>> live;  // pid -> (task index, start)
  std::size_t next = 0, done = 0;
  while (done < tasks.size()) {
    while (next < tasks.size() && static_cast<int>(live.size()) < jobs) {
      const ManifestRecord& r = tasks[next];
      pid_t pid = -1;
      try {
        pid = start_process(task_command(folder, r, options.program, threads, options.flags),
                            {.out = Output::file(folder.log(r.task, options.attempt, "out")),
                             .err = Output::file(folder.log(r.task, options.attempt, "err"))});
      } catch (...) {  // the tasks already started end before the error is reported
        for (const auto& [running, task] : live) wait_process(running);
        throw;
      }
      live[pid] = {next, Clock::now()};
      outcomes[next].record = &r;
      ++next;
      if (events.on_start) events.on_start(r, next, tasks.size());
    }
    const ProcessExit e = wait_any_process();
    const auto it = live.find(e.pid);
    if (it == live.end()) continue;  // not one of ours
    TaskOutcome& o = outcomes[it->second.first];
    o.exit_code = e.exit_code;
    o.seconds = std::chrono::duration<double>(Clock::now() - it->second.second).count();
    live.erase(it);
    ++done;
    if (events.on_finish) events.on_finish(o, done, tasks.size());
  }
  return outcomes;
}

TaskReport task_report(const SweepFolder& folder, const ManifestRecord& record, int attempt) {
  TaskReport r;
  r.state = run_state(record.path, nullptr, &r.error);
  if (r.state == RunState::finished) return {r.state, ""};
  if (r.error.empty()) {
    std::ifstream log(folder.log(record.task, attempt, "err"));
    for (std::string line; std::getline(log, line);)
      if (!line.empty()) r.error = line;
  }
  return r;
}

}  // namespace rnnlab
