// rnnlab status DIR: the state of every run of a sweep, from the run files' status attributes.
#include <filesystem>
#include <iostream>
#include <map>

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
    s.state = run_state(r.path, &s.steps);
    out.push_back(s);
  }
  return out;
}

namespace {

const char* kUsage =
    "usage: rnnlab status DIR\n"
    "\n"
    "Lists every run of the sweep in DIR (its manifest.tsv) with its state, read from the run\n"
    "file's status attribute: finished, failed, interrupted, running (the file says running:\n"
    "still training, or killed), or missing (no run file yet). Then one line of counts.\n"
    "`rnnlab sweep --rerun-failed DIR` runs the failed, interrupted and missing ones again.\n"
    "\n"
    "exit status: 0 every run finished, 1 some did not, 2 bad input";

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
  const auto statuses = run_statuses(records);
  std::map<std::string, int> counts;
  for (const auto& s : statuses) {
    ++counts[s.state];
    std::cout << s.record->task << "\t" << s.state << "\t" << s.record->id;
    if (s.state != "missing") std::cout << "\t" << s.steps << " steps";
    std::cout << "\n";
  }
  std::cout << statuses.size() << " runs: " << counts["finished"] << " finished, "
            << counts["failed"] << " failed, " << counts["interrupted"] << " interrupted, "
            << counts["running"] << " running, " << counts["missing"] << " missing\n";
  return counts["finished"] == static_cast<int>(statuses.size()) ? kExitOk : kExitRunFailed;
}

}  // namespace rnnlab::cli
