// rnnlab status DIR: the state of every run of a sweep, from the run files' status attributes.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "rnnlab/run_state_type.h"
#include "rnnlab/slurm_probe.h"
#include "sweep_common.h"

namespace rnnlab::cli {

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
  auto statuses = run_statuses(records, std::cerr);
  apply_slurm_states(SweepFolder{dir}, statuses);
  std::map<std::string, int> counts;
  for (const auto& s : statuses) {
    ++counts[s.state];
    std::cout << s.record->task << "\t" << s.state << "\t" << s.record->id;
    if (std::filesystem::exists(s.record->path)) std::cout << "\t" << s.steps << " steps";
    if (!s.error.empty()) std::cout << "\t" << one_line(s.error, 160);
    std::cout << "\n";
  }
  // Our states always, in this order (zero counts too); then any other (Slurm's) with a count.
  constexpr RunState kListed[] = {RunState::finished, RunState::failed, RunState::interrupted,
                                  RunState::running, RunState::missing};
  std::cout << statuses.size() << " runs: ";
  for (const RunState s : kListed)
    std::cout << (s == kListed[0] ? "" : ", ") << counts[to_string(s)] << " " << s;
  for (const auto& [state, n] : counts) {
    const std::optional<RunState> s = parse_run_state(state);
    if (!s || std::find(std::begin(kListed), std::end(kListed), *s) == std::end(kListed))
      std::cout << ", " << n << " " << state;
  }
  std::cout << "\n";
  const int finished = counts[to_string(RunState::finished)];
  return finished == static_cast<int>(statuses.size()) ? kExitOk : kExitRunFailed;
}

}  // namespace rnnlab::cli
