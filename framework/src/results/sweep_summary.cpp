// collect's sweep summary: reading, grouping, the CSV and HDF5 tables (see sweep_summary.h).
#include "rnnlab/sweep_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "rnnlab/isolated.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/summary_file.h"

namespace rnnlab {

double summary_metric(const RunMetrics& m, int i) {
  switch (i) {
    case 0:
      return m.final_train_loss;
    case 1:
      return m.final_eval_loss;
    case 2:
      return m.final_eval_accuracy;
    case 3:
      return m.best_eval_loss;
    case 4:
      return m.best_eval_accuracy;
    case 5:
      return m.final_eval_bpc;
    case 6:
      return m.best_eval_bpc;
    case 7:
      return m.final_eval_perplexity;
    case 8:
      return m.best_eval_perplexity;
  }
  throw Error("summary_metric: no metric " + std::to_string(i));
}

namespace {

constexpr double kNaN = RunMetrics::kNaN;

// Timing of any run that got going; the metrics only of a finished one.
void read_row(SweepRunRow& row) {
  // Numbers only, under HDF5's checksums; the strings collect writes (state, error) were
  // checked by run_state (run_state.h).
  RunFile f = RunFile::open(row.status.record->path);
  const RunTiming t = read_timing(f);
  row.ms_per_step = t.ms_per_step;
  row.wall_s = t.wall_time;
  if (parse_run_state(row.status.state) == RunState::finished) row.metrics = read_metrics(f);
}

std::vector<SweepGroupRow> group_rows(const std::vector<SweepRunRow>& rows) {
  std::vector<std::string> keys;
  for (const auto& row : rows) {
    const ManifestRecord& r = *row.status.record;
    keys.push_back(r.experiment() + "\n" + r.model + "\n" + grid_point(r));
  }
  std::vector<SweepGroupRow> out;
  for (const auto& members : group_in_order(keys)) {
    const ManifestRecord& first = *rows[members.front()].status.record;
    SweepGroupRow g;
    g.experiment = first.experiment();
    g.model = first.model;
    g.grid = grid_point(first);
    std::vector<double> values[kSummaryMetrics];
    for (std::size_t i : members) {
      const SweepRunRow& row = rows[i];
      const std::optional<RunState> state = parse_run_state(row.status.state);
      ++g.runs;
      if (state == RunState::finished) {
        ++g.finished;
        for (int k = 0; k < kSummaryMetrics; ++k)
          if (const double v = summary_metric(row.metrics, k); !std::isnan(v))
            values[k].push_back(v);
      } else if (state != RunState::missing && state != RunState::running) {
        ++g.failed;
      }
    }
    for (int k = 0; k < kSummaryMetrics; ++k) g.metrics[k] = stat_of(values[k]);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

SweepSummary summarize_sweep(const std::vector<RunStatus>& statuses, std::ostream& warn) {
  auto readable = [](const RunStatus& s) {
    const std::optional<RunState> state = parse_run_state(s.state);
    return state == RunState::finished || state == RunState::failed ||
           state == RunState::interrupted;
  };
  // Read in a child process (isolated.h): a file that crashes libhdf5 takes down only the
  // child, and counts as failed.
  const std::vector<IsolatedResult> results = run_isolated(statuses.size(), [&](std::size_t i) {
    if (!readable(statuses[i])) return std::string();
    SweepRunRow row;
    row.status = statuses[i];
    read_row(row);
    PayloadWriter w;
    w.put(row.ms_per_step).put(row.wall_s);
    for (int k = 0; k < kSummaryMetrics; ++k) w.put(summary_metric(row.metrics, k));
    return w.bytes();
  });
  SweepSummary out;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    const RunStatus& s = statuses[i];
    SweepRunRow row;
    row.status = s;
    if (readable(s)) {
      const IsolatedResult& res = results[i];
      if (res.kind == IsolatedResult::Kind::ok) {
        PayloadReader in(res.text);
        row.ms_per_step = in.f64();
        row.wall_s = in.f64();
        RunMetrics& m = row.metrics;
        for (double* v : {&m.final_train_loss, &m.final_eval_loss, &m.final_eval_accuracy,
                          &m.best_eval_loss, &m.best_eval_accuracy, &m.final_eval_bpc,
                          &m.best_eval_bpc, &m.final_eval_perplexity, &m.best_eval_perplexity})
          *v = in.f64();
      } else {
        const std::string why =
            res.kind == IsolatedResult::Kind::crashed
                ? "the file is damaged: reading it crashed the reader (" + res.text + ")"
                : res.text;
        row.status.state = to_string(RunState::failed);
        row.status.error = why;
        warn << "rnnlab collect: warning: " << s.record->path
             << ": cannot read its metrics, counted as failed: " << why << "\n";
      }
    }
    out.runs.push_back(row);
  }
  out.groups = group_rows(out.runs);
  return out;
}

// ---- writing ----

namespace {

// A number for CSV: full precision, "" for NaN.
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

SummaryColumn text_col(const std::string& name) {
  SummaryColumn c;
  c.name = name;
  c.text = true;
  return c;
}
SummaryColumn num_col(const std::string& name) {
  SummaryColumn c;
  c.name = name;
  return c;
}

std::string seed_of(const ManifestRecord& r) {
  std::string seed;
  for (const auto& o : r.overrides)
    if (o.rfind("seed=", 0) == 0) seed = o.substr(5);
  return seed;
}

std::string axis_of(const ManifestRecord& r, const std::string& col) {
  for (const auto& [c, v] : axis_values(r))
    if (c == col) return v;
  return std::string();
}

// The per-run table: summary.csv and /runs. Every sweep axis its own column (axis_column:
// one hyper-parameter, one column across models), after the fixed ones, then timing and the
// failure message.
SummaryTable write_runs_csv(const std::string& dir, const std::vector<SweepRunRow>& rows) {
  std::ofstream runs(dir + "/" + kSummaryRunsCsv, std::ios::trunc);
  runs << "task,id,experiment,model,grid,seed,status,steps";
  for (const char* m : kSummaryMetricNames) runs << "," << m;
  std::vector<std::string> axes;
  for (const auto& row : rows)
    for (const auto& [col, value] : axis_values(*row.status.record))
      if (col != "seed" && std::find(axes.begin(), axes.end(), col) == axes.end())
        axes.push_back(col);
  runs << ",path";
  for (const auto& a : axes) runs << "," << csv(a);
  runs << ",ms_per_step,wall_s,error\n";
  SummaryTable h5runs{kRunsTable,
                      {num_col("task"), text_col("id"), text_col("experiment"), text_col("model"),
                       text_col("grid"), num_col("seed"), text_col("status"), num_col("steps")}};
  for (const char* m : kSummaryMetricNames) h5runs.columns.push_back(num_col(m));
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
    h5runs.columns.push_back(numeric[a] ? num_col(axes[a]) : text_col(axes[a]));
  h5runs.columns.push_back(num_col("ms_per_step"));
  h5runs.columns.push_back(num_col("wall_s"));
  h5runs.columns.push_back(text_col("error"));
  for (const auto& row : rows) {
    const ManifestRecord& r = *row.status.record;
    const std::string seed = seed_of(r);
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
    for (int i = 0; i < kSummaryMetrics; ++i)
      c[8 + i].numbers.push_back(summary_metric(row.metrics, i));
    c[8 + kSummaryMetrics].strings.push_back(r.path);
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

    runs << r.task << "," << csv(r.id) << "," << csv(r.experiment()) << "," << csv(r.model) << ","
         << csv(grid_point(r)) << "," << seed << "," << row.status.state << "," << row.status.steps;
    for (int i = 0; i < kSummaryMetrics; ++i) runs << "," << num(summary_metric(row.metrics, i));
    runs << "," << csv(r.path);
    for (const auto& a : axes) runs << "," << csv(axis_of(r, a));
    runs << "," << num(row.ms_per_step) << "," << num(row.wall_s) << "," << csv(row.status.error)
         << "\n";
  }
  runs.close();
  RNNLAB_CHECK_INPUT(runs.good(), "cannot write ", dir, "/", kSummaryRunsCsv);
  return h5runs;
}

// The per-group table: summary_groups.csv and /groups.
SummaryTable write_groups_csv(const std::string& dir, const std::vector<SweepGroupRow>& groups) {
  std::ofstream gf(dir + "/" + kSummaryGroupsCsv, std::ios::trunc);
  gf << "experiment,model,grid,runs,finished,failed";
  for (const char* m : kSummaryMetricNames) gf << ",mean_" << m << ",std_" << m;
  gf << "\n";
  SummaryTable h5groups{kGroupsTable,
                        {text_col("experiment"), text_col("model"), text_col("grid"),
                         num_col("runs"), num_col("finished"), num_col("failed")}};
  for (const char* m : kSummaryMetricNames) {
    h5groups.columns.push_back(num_col(std::string("mean_") + m));
    h5groups.columns.push_back(num_col(std::string("std_") + m));
  }
  for (const auto& g : groups) {
    auto& c = h5groups.columns;
    c[0].strings.push_back(g.experiment);
    c[1].strings.push_back(g.model);
    c[2].strings.push_back(g.grid);
    c[3].numbers.push_back(g.runs);
    c[4].numbers.push_back(g.finished);
    c[5].numbers.push_back(g.failed);
    gf << csv(g.experiment) << "," << csv(g.model) << "," << csv(g.grid) << "," << g.runs << ","
       << g.finished << "," << g.failed;
    for (int i = 0; i < kSummaryMetrics; ++i) {
      gf << "," << num(g.metrics[i].mean) << "," << num(g.metrics[i].std);
      c[6 + 2 * i].numbers.push_back(g.metrics[i].mean);
      c[7 + 2 * i].numbers.push_back(g.metrics[i].std);
    }
    gf << "\n";
  }
  gf.close();
  RNNLAB_CHECK_INPUT(gf.good(), "cannot write ", dir, "/", kSummaryGroupsCsv);
  return h5groups;
}

}  // namespace

void write_sweep_summary(const std::string& dir, const SweepSummary& summary) {
  const SummaryTable runs = write_runs_csv(dir, summary.runs);
  const SummaryTable groups = write_groups_csv(dir, summary.groups);
  write_summary_h5(dir + "/" + kSummaryFile, {runs, groups});
}

}  // namespace rnnlab
