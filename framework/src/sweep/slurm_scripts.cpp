// The Slurm array and collect job scripts of a sweep, and array task ranges (sweep_executor.h).
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "rnnlab/process.h"
#include "rnnlab/sweep_executor.h"

namespace rnnlab {

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

bool in_array_ranges(const std::string& ranges, int64_t task) {
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

std::string slurm_array_script(const SweepFolder& folder, const std::vector<int64_t>& tasks,
                               const SlurmOptions& so) {
  const std::string& dir = folder.dir;
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# rnnlab sweep: one array task per run of " << folder.manifest() << "\n"
    << "#SBATCH --job-name=" << so.job_name << "\n"
    << "#SBATCH --array=" << array_ranges(tasks);
  if (so.jobs > 0) s << '%' << so.jobs;
  s << "\n"
    << "#SBATCH --output=" << dir << "/logs/task-%a.attempt-" << so.attempt << ".out\n"
    << "#SBATCH --error=" << dir << "/logs/task-%a.attempt-" << so.attempt << ".err\n"
    << "#SBATCH --cpus-per-task=" << so.cpus_per_task << "\n";
  if (!so.partition.empty()) s << "#SBATCH --partition=" << so.partition << "\n";
  if (!so.time.empty()) s << "#SBATCH --time=" << so.time << "\n";
  if (!so.mem.empty()) s << "#SBATCH --mem=" << so.mem << "\n";
  if (!so.gres.empty()) s << "#SBATCH --gres=" << so.gres << "\n";
  for (const auto& e : so.extra) s << "#SBATCH " << e << "\n";
  s << "set -u\n"
    << "exec " << shell_quote(so.program) << " run --manifest " << shell_quote(folder.manifest())
    << " --task-id \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-1}\" --quiet";
  for (const auto& w : task_flag_words(so.flags)) s << ' ' << shell_quote(w);
  s << "\n";
  return s.str();
}

std::string slurm_collect_script(const SweepFolder& folder, const SlurmOptions& so) {
  const std::string& dir = folder.dir;
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
    << "exec " << shell_quote(so.program) << " collect " << shell_quote(dir) << "\n";
  return s.str();
}

void write_slurm_scripts(const SweepFolder& folder, const std::vector<int64_t>& tasks,
                         const SlurmOptions& options) {
  std::filesystem::create_directories(folder.logs());
  folder.write("sweep.sbatch", slurm_array_script(folder, tasks, options));
  folder.write("collect.sbatch", slurm_collect_script(folder, options));
}

}  // namespace rnnlab
