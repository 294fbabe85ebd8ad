// rnnlab check FILE.rnn: parses and checks an experiment without training; prints the
// diagnostics (errors and warnings, `file:line:col: error: ...` with the source line and a
// caret) and, with -v, the resolved spec of every run.
#include <iostream>

#include "cli_common.h"
#include "rnnlab/runner.h"
#include "rnnlab/spec_text.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab check FILE.rnn [-v] [--set KEY=VALUE]...\n"
    "\n"
    "Checks an experiment file against the loaded cells and the catalog (layers, data sources,\n"
    "optimizers, train settings) and prints its diagnostics. With -v also prints the resolved\n"
    "spec of every run (defaults filled in, per-model overrides merged, sweep applied).\n"
    "Every run is resolved, one at a time; the data block's path must exist (the data is not\n"
    "loaded). An experiment expands to at most 100000 runs (models x sweep points).\n"
    "\n"
    "exit status: 0 no errors, 2 errors";

}  // namespace

int cmd_check(const Args& args) {
  po::options_description opts("options");
  std::string file;
  std::vector<std::string> sets, plugin_dirs, cell_from;
  opts.add_options()
      ("verbose,v", "print the resolved spec of every run")
      ("set", po::value(&sets)->composing(), "override KEY=VALUE (repeatable)")
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable)")
      ("cell-from", po::value(&cell_from)->composing(), kCellFromHelp);
  po::options_description hidden;
  hidden.add_options()("file", po::value(&file), "experiment file");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse("check", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("check", vm, "file", "the experiment file (FILE.rnn)");

  auto plugins = load_plugins(plugin_dirs, cell_from);
  Catalog catalog(plugins->cells);
  std::string rendered;
  ExperimentSpec spec = compile_experiment(file, catalog, sets, &rendered);
  std::cout << rendered;
  RunOptions options;
  // Every run is resolved (and so checked), one at a time: memory stays that of one run.
  const bool verbose = vm.count("verbose") > 0;
  std::string listing;
  int64_t runs = 0;
  for_each_checked_plan(spec, catalog, options, [&](RunPlan&& p) {
    ++runs;
    if (verbose) listing += "\n# run " + p.name + " -> " + p.path + "\n" + describe_spec(p.spec);
  });
  std::cout << file << ": ok: experiment '" << spec.name << "', " << spec.models.size()
            << " model" << (spec.models.size() == 1 ? "" : "s") << ", " << runs << " run"
            << (runs == 1 ? "" : "s") << "\n"
            << listing;
  return kExitOk;
}

}  // namespace rnnlab::cli
