// rnnlab report PATH...: one row per model (runs of one model that differ only in the seed are
// aggregated): eval metric final/best mean ± std over seeds, final training loss, wall time,
// ms/step and the time ratio to the fastest model; --csv / --json for tools; --by KEYS for a
// pivot table over sweep keys; --plots DIR for PNG learning curves (gnuplot); --html FILE for
// one self-contained interactive page.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli_common.h"
#include "rnnlab/run_reader.h"
#include "report_format.h"
#include "report_html.h"
#include "report_pivot.h"
#include "report_plots.h"
#include "report_views.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab report PATH... [--csv | --json] [--by KEYS] [--epochs] [--reach COND]\n"
    "                     [--plots DIR [--seed-lines]] [--html FILE]\n"
    "\n"
    "Summarises run files (a folder is searched recursively for *.h5): one row per model,\n"
    "runs that differ only in their seed aggregated as mean ± std. The eval metric is the\n"
    "accuracy for classification, else the eval loss; 'best' is the best eval row of a run.\n"
    "ms/step counts training steps only; 'time x' is ms/step over the fastest model's.\n"
    "--epochs adds the training loss and wall time of every epoch; --reach COND the first\n"
    "evaluation step where COND holds (e.g. 'loss<0.01', 'accuracy>=0.99'), per model.\n"
    "--by KEYS replaces the model table by a pivot table: runs pooled by the resolved values\n"
    "of the keys (e.g. --by hidden,cell: a row per hidden size, a column per cell); keys are\n"
    "experiment, model, group, seed, status, cell, layers, any sweep key (train.batch,\n"
    "model.lstm.hidden, ...) and its last component alone (hidden, batch, lr, ...).\n"
    "--plots draws mean ± std bands over seeds; --seed-lines adds every run's own line.\n"
    "--html FILE writes one self-contained page (no network): the tables, interactive curves\n"
    "and every run's metadata and resolved config.\n"
    "A run file in a folder that cannot be read (not HDF5, truncated, missing groups) is\n"
    "skipped with a warning naming it; one given by name is an error.\n"
    "\n"
    "exit status: 0 reported, 2 bad input (a run file given by name unreadable, none readable;\n"
    "an unknown --by key)";

// Pads to `width` display columns (± is one column but two bytes).
std::string pad(const std::string& s, std::size_t width) {
  std::size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  return s + std::string(width > cols ? width - cols : 1, ' ');
}

void print_table(const std::vector<GroupRow>& groups) {
  bool several = false;
  for (const auto& g : groups) several |= g.experiment != groups.front().experiment;
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"model", "runs", "seeds", "metric", "final eval", "best eval", "train loss",
                  "wall s", "ms/step", "time x"});
  for (const auto& g : groups) {
    const std::size_t n = g.runs.size();
    std::string runs = std::to_string(n);
    if (g.finished != static_cast<int64_t>(n))
      runs += " (" + std::to_string(n - static_cast<std::size_t>(g.finished)) + " unfinished)";
    rows.push_back({several ? g.experiment + "/" + g.group : g.group, runs, seeds_str(g, ","),
                    g.metric.empty() ? "-" : g.metric, pm(g.final_metric, n),
                    pm(g.best_metric, n), num(g.final_train_loss.mean, "%.4g"),
                    num(g.wall_time.mean, "%.1f"), num(g.ms_per_step.mean, "%.3f"),
                    num(g.time_ratio, "%.2f")});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], pad(r[c], 0).size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c) line += pad(r[c], width[c] + 2);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

void print_csv(const std::vector<GroupRow>& groups) {
  std::cout << "experiment,model,runs,finished,seeds,metric,final_mean,final_std,best_mean,"
               "best_std,train_loss_mean,train_loss_std,wall_time_mean,ms_per_step_mean,"
               "time_ratio\n";
  for (const auto& g : groups)
    std::cout << g.experiment << "," << g.group << "," << g.runs.size() << "," << g.finished
              << "," << seeds_str(g, " ") << "," << g.metric << "," << full(g.final_metric.mean)
              << "," << full(g.final_metric.std) << "," << full(g.best_metric.mean) << ","
              << full(g.best_metric.std) << "," << full(g.final_train_loss.mean) << ","
              << full(g.final_train_loss.std) << "," << full(g.wall_time.mean) << ","
              << full(g.ms_per_step.mean) << "," << full(g.time_ratio) << "\n";
}

void print_json(const std::vector<GroupRow>& groups) {
  std::cout << "{\"groups\": [";
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const GroupRow& g = groups[i];
    std::cout << (i ? "," : "") << "\n  {\"experiment\": " << json_str(g.experiment)
              << ", \"model\": " << json_str(g.group) << ", \"metric\": " << json_str(g.metric)
              << ", \"finished\": " << g.finished
              << ",\n   \"final\": {\"mean\": " << json_num(g.final_metric.mean)
              << ", \"std\": " << json_num(g.final_metric.std) << "}, \"best\": {\"mean\": "
              << json_num(g.best_metric.mean) << ", \"std\": " << json_num(g.best_metric.std)
              << "}, \"train_loss\": {\"mean\": " << json_num(g.final_train_loss.mean)
              << ", \"std\": " << json_num(g.final_train_loss.std)
              << "}, \"wall_time\": " << json_num(g.wall_time.mean)
              << ", \"ms_per_step\": " << json_num(g.ms_per_step.mean)
              << ", \"time_ratio\": " << json_num(g.time_ratio) << ",\n   \"runs\": [";
    for (std::size_t k = 0; k < g.runs.size(); ++k) {
      const RunRecord& r = *g.runs[k];
      std::cout << (k ? ", " : "") << "\n    {\"path\": " << json_str(r.path)
                << ", \"seed\": " << r.seed << ", \"status\": " << json_str(r.status)
                << ", \"steps\": " << r.steps
                << ", \"final_metric\": " << (r.has_eval ? json_num(r.final_metric) : "null")
                << ", \"best_metric\": " << (r.has_eval ? json_num(r.best_metric) : "null")
                << ", \"final_train_loss\": " << json_num(r.final_train_loss)
                << ", \"wall_time\": " << json_num(r.wall_time)
                << ", \"ms_per_step\": " << json_num(r.ms_per_step) << "}";
    }
    std::cout << "]}";
  }
  std::cout << "\n]}\n";
}

}  // namespace

int cmd_report(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> paths;
  std::string plots, reach, by, html;
  opts.add_options()
      ("csv", "comma-separated values (full precision)")
      ("json", "JSON, with every run's numbers (full precision)")
      ("epochs", "also a table of the training loss and wall time per epoch")
      ("reach", po::value(&reach), "also the first eval step where COND holds, e.g. 'loss<0.01'")
      ("by", po::value(&by), "pivot table over these keys, e.g. 'hidden,cell'")
      ("plots", po::value(&plots), "write learning-curve PNGs to this folder (needs gnuplot)")
      ("seed-lines", "with --plots: also draw every run (seed) as its own line")
      ("html", po::value(&html), "write one self-contained HTML page (tables, curves, runs)");
  po::options_description hidden;
  hidden.add_options()("path", po::value(&paths), "run files or folders");
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  if (!parse("report", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("report", vm, "path", "run files or folders (PATH...)");
  if (vm.count("csv") && vm.count("json"))
    throw UsageError("rnnlab report: give at most one of --csv and --json");
  const bool extra = vm.count("epochs") || !reach.empty();
  if (extra && (vm.count("csv") || vm.count("json")))
    throw UsageError("rnnlab report: --epochs and --reach print tables; not with --csv or --json");
  if (vm.count("by") && vm.count("json"))
    throw UsageError("rnnlab report: --by prints a table or --csv; not with --json");
  if (vm.count("seed-lines") && plots.empty())
    throw UsageError("rnnlab report: --seed-lines goes with --plots DIR");
  std::optional<ReachCondition> cond;
  if (!reach.empty()) cond = parse_reach_option(reach);

  const std::vector<RunRecord> runs = read_runs(paths, std::cerr);
  const std::vector<GroupRow> groups = aggregate(runs);
  std::optional<Pivot> pivot;
  if (vm.count("by")) pivot = pivot_for_by(runs, by);
  if (pivot && vm.count("csv"))
    print_pivot_csv(*pivot);
  else if (pivot)
    print_pivot_table(*pivot);
  else if (vm.count("csv"))
    print_csv(groups);
  else if (vm.count("json"))
    print_json(groups);
  else
    print_table(groups);
  if (vm.count("epochs")) {
    std::cout << "\n";
    print_epoch_table(groups);
  }
  if (cond) {
    std::cout << "\n";
    print_reach_table(groups, *cond);
  }
  if (!plots.empty())
    for (const auto& png : write_plots(groups, plots, vm.count("seed-lines") > 0))
      std::cerr << "wrote " << png << "\n";
  if (!html.empty()) {
    write_html(html, runs, groups, pivot ? &*pivot : nullptr);
    std::cerr << "wrote " << html << "\n";
  }
  return kExitOk;
}

}  // namespace rnnlab::cli
