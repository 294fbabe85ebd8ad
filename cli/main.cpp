// rnnlab: the command line tool.
//
//   rnnlab run FILE.rnn [options]     train every model (and sweep point) of an experiment
//   rnnlab check FILE.rnn [-v]        parse and check an experiment, print diagnostics
//   rnnlab cells [--json]             the loaded cell plugins and their parameter schemas
//   rnnlab report PATH... [options]   summary table and learning curves of run files
//   rnnlab predict RUN.h5 [options]   closed-loop forecast of a trained series model
//   rnnlab gradcheck CELL [--set k=v] conformance check of one cell (for plugin authors)
//   rnnlab sweep FILE.rnn... [options] expand a sweep into a manifest, run it locally or on Slurm
//   rnnlab status DIR                 finished / failed / running / missing runs of a sweep
//   rnnlab collect DIR                per-run and mean ± std summary CSVs of a sweep
//   rnnlab verify PATH...             checksums, layout and checkpoint of run files
//   rnnlab suite CELL [options]       rank a cell against lstm and gru on the standard tasks
//
// Exit codes: 0 ok, 1 a run failed or was interrupted, 2 bad input or usage. Every error is
// caught here and printed as one message; nothing escapes as a crash.
#include <cstring>
#include <iostream>
#include <map>

#include "cli_common.h"
#include "sweep_common.h"

using namespace rnnlab;
using namespace rnnlab::cli;

namespace {

const char* kUsage =
    "usage: rnnlab <command> [options]\n"
    "\n"
    "commands:\n"
    "  run FILE.rnn      train the experiment's models, one HDF5 run file each\n"
    "  check FILE.rnn    check an experiment file and print its diagnostics\n"
    "  cells             list the cell plugins and their parameters\n"
    "  report PATH...    summarise run files: table, CSV/JSON, learning-curve plots\n"
    "  predict RUN.h5    closed-loop forecast of a trained series model vs the truth\n"
    "  gradcheck CELL    run the conformance checks of one cell\n"
    "  sweep FILE.rnn... run every run of a sweep: local processes or a Slurm array job\n"
    "  status DIR        which runs of a sweep finished, failed, are running or missing\n"
    "  collect DIR       summary of a sweep: final/best metrics, mean ± std per grid point\n"
    "  verify PATH...    check run files: checksums, layout, checkpoint (clean / damaged)\n"
    "  suite CELL        rank a cell against lstm and gru on the standard tasks (leaderboard)\n"
    "\n"
    "  rnnlab <command> --help   options of a command\n"
    "  rnnlab --version          version and git revision\n";

int dispatch(const std::string& command, const Args& args) {
  static const std::map<std::string, int (*)(const Args&)> commands = {
      {"run", cmd_run},       {"check", cmd_check},         {"cells", cmd_cells},
      {"report", cmd_report}, {"gradcheck", cmd_gradcheck}, {"sweep", cmd_sweep},
      {"status", cmd_status}, {"collect", cmd_collect},     {"predict", cmd_predict},
      {"verify", cmd_verify}, {"suite", cmd_suite},
  };
  auto it = commands.find(command);
  if (it == commands.end()) {
    std::vector<std::string> names;
    for (const auto& [n, f] : commands) names.push_back(n);
    std::string msg = "rnnlab: unknown command '" + command + "'";
    const std::string near = closest_name(command, names);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    throw UsageError(msg + "\nTry 'rnnlab --help'.");
  }
  return it->second(args);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::cerr << kUsage;
      return kExitBadInput;
    }
    const std::string first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (first == "--version" || first == "-V") {
      std::cout << "rnnlab " << version_string() << "\n";
      return kExitOk;
    }
    return dispatch(first, Args(argv + 2, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  } catch (const DiagnosticsError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  } catch (const InputError& e) {
    std::cerr << render_input_error(e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "rnnlab: failed: " << e.what() << "\n";
    return kExitRunFailed;
  } catch (...) {
    std::cerr << "rnnlab: failed: " << describe_current_exception() << "\n";
    return kExitRunFailed;
  }
}
