// rnnlab verify PATH...: is each run file whole? One line per file: clean, unverified or
// damaged with what is damaged. The checks are the library's (rnnlab/run_verify.h), each file
// read in a child process, so a file that crashes libhdf5 is reported, not fatal.
#include <iostream>

#include "cli_common.h"
#include "rnnlab/run_verify.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab verify PATH... [--quiet]\n"
    "\n"
    "Checks run files (a folder is searched recursively for *.h5; a sweep's summary.h5 is\n"
    "passed over): every HDF5 checksum (each attribute and dataset is read), the digests of a\n"
    "finished, failed or interrupted file, the layout its status requires, the metric tables\n"
    "(columns of one length, steps ascending), and that the checkpoint verifies and agrees\n"
    "with the tables. Prints per file:\n"
    "  PATH: clean\n"
    "  PATH: clean (not sealed: status running, ...)   a running or killed run: no digest yet\n"
    "  PATH: unverified (written before checksums)     an older rnnlab's file\n"
    "  PATH: damaged: WHAT; WHAT                       naming each damaged object\n"
    "then one line of counts.\n"
    "\n"
    "exit status: 0 every file clean or unverified, 1 some file damaged, 2 bad input (a path\n"
    "that does not exist, no *.h5 under a folder)";

}  // namespace

int cmd_verify(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> paths;
  opts.add_options()("quiet,q", "print only the files that are not clean, and the counts");
  po::options_description hidden;
  hidden.add_options()("path", po::value(&paths), "run files or folders");
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  if (!parse("verify", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("verify", vm, "path", "run files or folders (PATH...)");
  const std::vector<VerifyReport> reports = verify_run_files(paths);
  int clean = 0, unverified = 0, damaged = 0;
  for (const auto& r : reports) {
    switch (r.verdict) {
      case VerifyReport::Verdict::clean:
        ++clean;
        break;
      case VerifyReport::Verdict::unverified:
        ++unverified;
        break;
      case VerifyReport::Verdict::damaged:
        ++damaged;
        break;
    }
    if (vm.count("quiet") && r.verdict == VerifyReport::Verdict::clean) continue;
    std::cout << r.path << ": " << verdict_line(r) << "\n";
  }
  std::cout << reports.size() << " run file" << (reports.size() == 1 ? "" : "s") << ": " << clean
            << " clean, " << unverified << " unverified, " << damaged << " damaged\n";
  return damaged > 0 ? kExitRunFailed : kExitOk;
}

}  // namespace rnnlab::cli
