// rnnlab gradcheck CELL: runs the cell conformance suite (conformance.h) on one loaded cell and
// prints its report, for plugin authors.
#include <iostream>

#include "cli_common.h"
#include "rnnlab/cell_params.h"
#include "rnnlab/conformance.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab gradcheck CELL [--set KEY=VALUE]... [options]\n"
    "\n"
    "Runs the conformance checks of a loaded cell in float64 on the CPU: schema, shapes,\n"
    "finite-difference gradients (composed, fused and compiled), fused == composed,\n"
    "compiled == composed, masking, stateful carry and determinism. KEY=VALUE are the cell's\n"
    "own parameters (see rnnlab cells).\n"
    "\n"
    "exit status: 0 every check passed, 1 a check failed, 2 bad input (an unknown cell or\n"
    "parameter, a value out of range, an ambiguous cell: see --cell-from)";

}  // namespace

int cmd_gradcheck(const Args& args) {
  po::options_description opts("options");
  std::string cell;
  std::vector<std::string> sets, plugin_dirs, cell_from;
  ConformanceOptions co;
  uint64_t seed = co.seed;
  opts.add_options()
      ("set", po::value(&sets)->composing(), "cell parameter KEY=VALUE (repeatable)")
      ("input", po::value(&co.input)->default_value(co.input), "input size I")
      ("hidden", po::value(&co.hidden)->default_value(co.hidden),
       "hidden size when the cell has a `hidden` parameter not given by --set")
      ("steps", po::value(&co.steps)->default_value(co.steps), "sequence length T")
      ("batch", po::value(&co.batch)->default_value(co.batch), "batch size B")
      ("seed", po::value(&seed)->default_value(seed), "seed of the random parameters and data")
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable)")
      ("cell-from", po::value(&cell_from)->composing(), kCellFromHelp);
  po::options_description hidden;
  hidden.add_options()("cell", po::value(&cell), "cell name");
  po::positional_options_description pos;
  pos.add("cell", 1);
  po::variables_map vm;
  if (!parse("gradcheck", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("gradcheck", vm, "cell", "the cell name (see rnnlab cells)");
  if (co.input < 1 || co.hidden < 1 || co.steps < 1 || co.batch < 1)
    throw UsageError("rnnlab gradcheck: --input, --hidden, --steps and --batch must be >= 1");
  co.seed = seed;
  auto plugins = load_plugins(plugin_dirs, cell_from);
  const std::map<std::string, ParamValue> params =
      cell_params_from_text(plugins->cells, cell, sets);
  ConformanceReport report = run_conformance(plugins->cells, cell, params, co);
  std::cout << conformance_table(report);
  std::cout << "cell " << cell << ": " << (report.passed() ? "all checks passed" : "FAILED")
            << "\n";
  return report.passed() ? kExitOk : kExitRunFailed;
}

}  // namespace rnnlab::cli
