// rnnlab collect DIR: one summary across the runs of a sweep: per run (DIR/summary.csv) and
// mean ± std per experiment/model/grid point over the seeds (DIR/summary_groups.csv).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>

#include "rnnlab/run_file.h"
#include "rnnlab/run_lock.h"
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

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* kMetrics[] = {"final_train_loss", "final_eval_loss", "final_eval_accuracy",
                          "best_eval_loss", "best_eval_accuracy"};
constexpr int kNumMetrics = 5;

std::string num(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::vector<double> series(const RunFile& f, const std::string& group, const std::string& name) {
  const auto names = f.series_names(group);
  if (std::find(names.begin(), names.end(), name) == names.end()) return {};
  std::vector<double> v = f.read_series(group, name);
  std::erase_if(v, [](double x) { return std::isnan(x); });
  return v;
}

struct Row {
  RunStatus status;
  double m[kNumMetrics] = {kNaN, kNaN, kNaN, kNaN, kNaN};
  double ms_per_step = kNaN, wall_s = kNaN;  // training ms per step, fit() seconds
};

// Timing of any run that got going; the final metrics only of a finished one.
void read_metrics(Row& row) {
  RunFile f = RunFile::open(row.status.record->path);
  if (f.has_attr("train_time") && f.has_attr("steps") && f.attr_int("steps") > 0)
    row.ms_per_step = 1e3 * f.attr_double("train_time") / double(f.attr_int("steps"));
  if (f.has_attr("wall_time")) row.wall_s = f.attr_double("wall_time");
  if (row.status.state != "finished") return;
  const auto loss = series(f, "metrics", "loss");
  const auto eloss = series(f, "eval", "loss");
  const auto eacc = series(f, "eval", "accuracy");
  if (!loss.empty()) row.m[0] = loss.back();
  if (!eloss.empty()) {
    row.m[1] = eloss.back();
    row.m[3] = *std::min_element(eloss.begin(), eloss.end());
  }
  if (!eacc.empty()) {
    row.m[2] = eacc.back();
    row.m[4] = *std::max_element(eacc.begin(), eacc.end());
  }
}

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
  RunLock lock(dir + "/summary.h5");  // one collect per sweep folder at a time
  const auto records = read_manifest(manifest_path(dir));

  auto statuses = run_statuses(records);
  apply_slurm_states(dir, statuses);
  std::vector<Row> rows;
  for (const auto& s : statuses) {
    Row row;
    row.status = s;
    if (s.state == "finished" || s.state == "failed" || s.state == "interrupted") {
      try {
        read_metrics(row);
      } catch (const std::exception& e) {
        row.status.state = "failed";
        row.status.error = e.what();
        std::cerr << "rnnlab collect: warning: " << s.record->path
                  << ": cannot read its metrics, counted as failed: " << e.what() << "\n";
      }
    }
    rows.push_back(row);
  }

  std::ofstream runs(dir + "/summary.csv", std::ios::trunc);
  runs << "task,id,experiment,model,grid,seed,status,steps";
  for (const char* m : kMetrics) runs << "," << m;
  // Every sweep axis its own column (axis_column: one hyper-parameter, one column across
  // models), after the fixed ones, then timing and the failure message.
  std::vector<std::string> axes;
  for (const auto& row : rows)
    for (const auto& [col, value] : axis_values(*row.status.record))
      if (col != "seed" && std::find(axes.begin(), axes.end(), col) == axes.end())
        axes.push_back(col);
  auto axis_of = [&](const ManifestRecord& r, const std::string& col) {
    for (const auto& [c, v] : axis_values(r))
      if (c == col) return v;
    return std::string();
  };
  runs << ",path";
  for (const auto& a : axes) runs << "," << csv(a);
  runs << ",ms_per_step,wall_s,error\n";
  struct Group {
    std::string experiment, model, grid;
    int runs = 0, finished = 0, failed = 0;
    std::vector<double> values[kNumMetrics];
  };
  std::vector<std::string> order;
  std::map<std::string, Group> groups;
  // summary.h5 /runs: the columns of summary.csv.
  auto text_col = [](const char* name) {
    SummaryColumn c;
    c.name = name;
    c.text = true;
    return c;
  };
  auto num_col = [](const std::string& name) {
    SummaryColumn c;
    c.name = name;
    return c;
  };
  SummaryTable h5runs{"runs", {num_col("task"), text_col("id"), text_col("experiment"),
                               text_col("model"), text_col("grid"), num_col("seed"),
                               text_col("status"), num_col("steps")}};
  for (const char* m : kMetrics) h5runs.columns.push_back(num_col(m));
  h5runs.columns.push_back(text_col("path"));
  // An axis column is numeric when every run's value reads as a number, else text.
  std::vector<bool> numeric(axes.size(), true);
  for (std::size_t a = 0; a < axes.size(); ++a)
    for (const auto& row : rows) {
      const std::string v = axis_of(*row.status.record, axes[a]);
      char* end = nullptr;
      if (!v.empty()) std::strtod(v.c_str(), &end);
      if (!v.empty() && (end == v.c_str() || *end != '\0')) numeric[a] = false;
    }
  const std::size_t first_axis = h5runs.columns.size();
  for (std::size_t a = 0; a < axes.size(); ++a)
    h5runs.columns.push_back(numeric[a] ? num_col(axes[a]) : text_col(axes[a].c_str()));
  h5runs.columns.push_back(num_col("ms_per_step"));
  h5runs.columns.push_back(num_col("wall_s"));
  h5runs.columns.push_back(text_col("error"));
  for (const auto& row : rows) {
    const ManifestRecord& r = *row.status.record;
    std::string seed;
    for (const auto& o : r.overrides)
      if (o.rfind("seed=", 0) == 0) seed = o.substr(5);
    {
      auto& c = h5runs.columns;
      double seed_v = kNaN;
      try {
        if (!seed.empty()) seed_v = std::stod(seed);
      } catch (const std::exception&) {
      }
      c[0].numbers.push_back(double(r.task));
      c[1].strings.push_back(r.id);
      c[2].strings.push_back(r.experiment());
      c[3].strings.push_back(r.model);
      c[4].strings.push_back(grid_point(r));
      c[5].numbers.push_back(seed_v);
      c[6].strings.push_back(row.status.state);
      c[7].numbers.push_back(double(row.status.steps));
      for (int i = 0; i < kNumMetrics; ++i) c[8 + i].numbers.push_back(row.m[i]);
      c[8 + kNumMetrics].strings.push_back(r.path);
      for (std::size_t a = 0; a < axes.size(); ++a) {
        const std::string v = axis_of(r, axes[a]);
        if (numeric[a])
          c[first_axis + a].numbers.push_back(v.empty() ? kNaN : std::strtod(v.c_str(), nullptr));
        else
          c[first_axis + a].strings.push_back(v);
      }
      c[first_axis + axes.size()].numbers.push_back(row.ms_per_step);
      c[first_axis + axes.size() + 1].numbers.push_back(row.wall_s);
      c[first_axis + axes.size() + 2].strings.push_back(row.status.error);
    }
    runs << r.task << "," << csv(r.id) << "," << csv(r.experiment()) << "," << csv(r.model) << ","
         << csv(grid_point(r)) << "," << seed << "," << row.status.state << ","
         << row.status.steps;
    for (double v : row.m) runs << "," << num(v);
    runs << "," << csv(r.path);
    for (const auto& a : axes) runs << "," << csv(axis_of(r, a));
    runs << "," << num(row.ms_per_step) << "," << num(row.wall_s) << "," << csv(row.status.error)
         << "\n";

    const std::string key = r.experiment() + "\n" + r.model + "\n" + grid_point(r);
    if (!groups.count(key)) order.push_back(key);
    Group& g = groups[key];
    g.experiment = r.experiment();
    g.model = r.model;
    g.grid = grid_point(r);
    ++g.runs;
    if (row.status.state == "finished") {
      ++g.finished;
      for (int i = 0; i < kNumMetrics; ++i)
        if (!std::isnan(row.m[i])) g.values[i].push_back(row.m[i]);
    } else if (row.status.state != "missing" && row.status.state != "running") {
      ++g.failed;
    }
  }
  runs.close();
  RNNLAB_CHECK_INPUT(runs.good(), "cannot write ", dir, "/summary.csv");

  std::ofstream gf(dir + "/summary_groups.csv", std::ios::trunc);
  gf << "experiment,model,grid,runs,finished,failed";
  for (const char* m : kMetrics) gf << ",mean_" << m << ",std_" << m;
  gf << "\n";
  if (!vm.count("quiet"))
    std::cout << "experiment/model [grid]: finished/runs, final train loss, final eval "
                 "accuracy (mean ± std over finished runs)\n";
  SummaryTable h5groups{"groups", {text_col("experiment"), text_col("model"), text_col("grid"),
                                   num_col("runs"), num_col("finished"), num_col("failed")}};
  for (const char* m : kMetrics) {
    h5groups.columns.push_back(num_col(std::string("mean_") + m));
    h5groups.columns.push_back(num_col(std::string("std_") + m));
  }
  int failed = 0, finished = 0;
  for (const auto& key : order) {
    const Group& g = groups[key];
    {
      auto& c = h5groups.columns;
      c[0].strings.push_back(g.experiment);
      c[1].strings.push_back(g.model);
      c[2].strings.push_back(g.grid);
      c[3].numbers.push_back(g.runs);
      c[4].numbers.push_back(g.finished);
      c[5].numbers.push_back(g.failed);
    }
    failed += g.failed;
    finished += g.finished;
    gf << csv(g.experiment) << "," << csv(g.model) << "," << csv(g.grid) << "," << g.runs << ","
       << g.finished << "," << g.failed;
    double mean[kNumMetrics], sd[kNumMetrics];
    for (int i = 0; i < kNumMetrics; ++i) {
      const auto& v = g.values[i];
      mean[i] = sd[i] = kNaN;
      if (!v.empty()) {
        double s = 0;
        for (double x : v) s += x;
        mean[i] = s / double(v.size());
        double q = 0;
        for (double x : v) q += (x - mean[i]) * (x - mean[i]);
        sd[i] = v.size() > 1 ? std::sqrt(q / double(v.size() - 1)) : 0.0;
      }
      gf << "," << num(mean[i]) << "," << num(sd[i]);
      h5groups.columns[6 + 2 * i].numbers.push_back(mean[i]);
      h5groups.columns[7 + 2 * i].numbers.push_back(sd[i]);
    }
    gf << "\n";
    if (!vm.count("quiet")) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%d/%d finished%s, loss %.4g ± %.2g, accuracy %.4g ± %.2g",
                    g.finished, g.runs,
                    g.failed ? (", " + std::to_string(g.failed) + " failed").c_str() : "",
                    mean[0], sd[0], mean[2], sd[2]);
      std::cout << g.experiment << "/" << g.model << (g.grid.empty() ? "" : " [" + g.grid + "]")
                << ": " << buf << "\n";
    }
  }
  gf.close();
  RNNLAB_CHECK_INPUT(gf.good(), "cannot write ", dir, "/summary_groups.csv");
  write_summary_h5(dir + "/summary.h5", {h5runs, h5groups});
  std::cout << rows.size() << " runs: " << finished << " finished, " << failed
            << " failed; wrote " << dir << "/summary.csv, " << dir << "/summary_groups.csv and "
            << dir << "/summary.h5\n";
  return kExitOk;
}

}  // namespace rnnlab::cli
