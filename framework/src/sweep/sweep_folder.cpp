// The sweep folder's paths and bookkeeping, and the task command (sweep_executor.h).
#include <fstream>

#include "rnnlab/sweep_executor.h"

namespace rnnlab {

std::string SweepFolder::log(int64_t task, int attempt, const std::string& ext) const {
  return logs() + "/task-" + std::to_string(task) + ".attempt-" + std::to_string(attempt) + "." +
         ext;
}

void SweepFolder::write(const std::string& name, const std::string& text) const {
  const std::string path = dir + "/" + name;
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.close();
  RNNLAB_CHECK_INPUT(f.good(), "cannot write ", path);
}

int SweepFolder::next_attempt(bool record) const {
  int n = 0;
  std::ifstream(dir + "/attempts") >> n;
  if (record) write("attempts", std::to_string(n + 1) + "\n");
  return n + 1;
}

std::vector<std::string> task_flag_words(const TaskFlags& flags) {
  std::vector<std::string> words;
  if (!flags.tensorboard.empty()) words.insert(words.end(), {"--tensorboard", flags.tensorboard});
  for (const auto& d : flags.plugin_dirs) words.insert(words.end(), {"--plugin-path", d});
  for (const auto& c : flags.cell_from) words.insert(words.end(), {"--cell-from", c});
  return words;
}

std::vector<std::string> task_command(const SweepFolder& folder, const ManifestRecord& record,
                                      const std::string& program, int threads,
                                      const TaskFlags& flags) {
  std::vector<std::string> cmd{program,      "run",
                               "--manifest", folder.manifest(),
                               "--task-id",  std::to_string(record.task),
                               "--threads",  std::to_string(threads),
                               "--quiet"};
  const auto extra = task_flag_words(flags);
  cmd.insert(cmd.end(), extra.begin(), extra.end());
  return cmd;
}

bool needs_rerun(std::optional<RunState> state, bool slurm_job_queued) {
  return state == RunState::failed || state == RunState::interrupted ||
         state == RunState::missing || (state == RunState::running && !slurm_job_queued);
}

}  // namespace rnnlab
