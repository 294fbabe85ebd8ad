// rnnlab collect DIR: one summary across the runs of a sweep: per run (DIR/summary.csv) and
// mean ± std per experiment/model/grid point over the seeds (DIR/summary_groups.csv). The
// summary itself (reading, grouping, the files) is the library's: rnnlab/sweep_summary.h.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "rnnlab/run_lock.h"
#include "rnnlab/slurm_probe.h"
#include "rnnlab/sweep_summary.h"
#include "sweep_common.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab collect DIR [options]\n"
    "\n"
    "Summarises the sweep in DIR (its manifest.tsv). DIR/summary.csv: one row per run with\n"
    "its state, steps, final train loss, final and best eval loss / accuracy (empty when not\n"
    "logged or the run did not finish). DIR/summary_groups.csv: per experiment, model and grid\n"
    "point (the sweep values except seed): the number of runs, finished and failed ones, and\n"
    "mean and sample std (0 for one run) of every metric over the finished runs only; a\n"
    "failed, interrupted, running or missing run is counted as such and never averaged in.\n"
    "DIR/summary.h5: both tables, groups /runs and /groups, one 1-D dataset per column\n"
    "(float64, NaN = empty; ids, models, grid, status and paths as UTF-8 strings).\n"
    "Prints the group table.\n"
    "\n"
    "exit status: 0 summary written (whatever the runs' states), 2 bad input";

}  // namespace

int cmd_collect(const Args& args) {
  po::options_description opts("options");
  std::string dir;
  opts.add_options()("quiet,q", "do not print the group table");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir), "sweep folder");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  if (!parse("collect", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("collect", vm, "dir", "the sweep folder (DIR)");
  RunLock lock(dir + "/" + kSummaryFile);  // one collect per sweep folder at a time
  const auto records = read_manifest(manifest_path(dir));

  auto statuses = run_statuses(records, std::cerr);
  apply_slurm_states(SweepFolder{dir}, statuses);
  const SweepSummary summary = summarize_sweep(statuses, std::cerr);
  write_sweep_summary(dir, summary);

  if (!vm.count("quiet"))
    std::cout << "experiment/model [grid]: finished/runs, final train loss, final eval "
                 "accuracy (mean ± std over finished runs)\n";
  int failed = 0, finished = 0;
  for (const auto& g : summary.groups) {
    failed += g.failed;
    finished += g.finished;
    if (vm.count("quiet")) continue;
    const Stat& loss = g.metrics[0];  // final_train_loss
    const Stat& acc = g.metrics[2];   // final_eval_accuracy
    char buf[256];
    std::snprintf(buf, sizeof buf, "%d/%d finished%s, loss %.4g ± %.2g, accuracy %.4g ± %.2g",
                  g.finished, g.runs,
                  g.failed ? (", " + std::to_string(g.failed) + " failed").c_str() : "",
                  loss.mean, loss.std, acc.mean, acc.std);
    std::string lm;  // a language model's headline metric as well
    for (int k : {5, 7})  // final_eval_bpc, final_eval_perplexity
      if (!std::isnan(g.metrics[k].mean)) {
        char more[96];
        std::snprintf(more, sizeof more, ", %s %.4g ± %.2g", k == 5 ? "bpc" : "perplexity",
                      g.metrics[k].mean, g.metrics[k].std);
        lm += more;
      }
    std::cout << g.experiment << "/" << g.model << (g.grid.empty() ? "" : " [" + g.grid + "]")
              << ": " << buf << lm << "\n";
  }
  std::cout << summary.runs.size() << " runs: " << finished << " finished, " << failed
            << " failed; wrote " << dir << "/summary.csv, " << dir << "/summary_groups.csv and "
            << dir << "/summary.h5\n";
  return kExitOk;
}

}  // namespace rnnlab::cli
