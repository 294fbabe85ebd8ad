// Submitting a sweep to Slurm: the array job, then the collect job afterany it
// (sweep_executor.h).
#include <fstream>

#include "rnnlab/process.h"
#include "rnnlab/sweep_executor.h"

namespace rnnlab {

namespace {

// `sbatch --parsable EXTRA... SCRIPT`: the job id (the digits before ';' or the newline).
std::string sbatch(const std::vector<std::string>& extra_args, const std::string& script) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.push_back(script);
  ProcessResult r;
  try {
    r = run_process(argv, {.out = Output::capture(), .err = Output::inherit()});
  } catch (const ProcessStartError& e) {
    throw InputError("sbatch " + script + " failed: " + e.what());
  }
  const std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  if (r.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw InputError("sbatch " + script + " failed (exit " + std::to_string(r.exit_code) +
                     "): " + r.out);
  return id;
}

}  // namespace

SlurmSubmission submit_slurm_sweep(const SweepFolder& folder, const std::vector<int64_t>& tasks,
                                   const SlurmOptions& options) {
  write_slurm_scripts(folder, tasks, options);
  SlurmSubmission s;
  s.array_id = sbatch({}, folder.array_script());
  if (options.collect)
    s.collect_id = sbatch({"--dependency=afterany:" + s.array_id}, folder.collect_script());
  std::ofstream(folder.jobs(), std::ios::app)
      << "array " << s.array_id << " tasks " << array_ranges(tasks)
      << (s.collect_id.empty() ? "" : " collect " + s.collect_id) << "\n";
  return s;
}

}  // namespace rnnlab
