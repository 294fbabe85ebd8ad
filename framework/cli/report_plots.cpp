// gnuplot learning curves for `rnnlab report` (see report_plots.h).
#include "report_plots.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "rnnlab/error.h"

namespace rnnlab::cli {

namespace fs = std::filesystem;

namespace {

// Mean over runs, row by row, up to the shortest run: columns step, wall_time, value.
std::vector<std::array<double, 3>> mean_curve(const std::vector<const Series*>& series) {
  std::vector<std::array<double, 3>> out;
  if (series.empty()) return out;
  std::size_t n = series.front()->step.size();
  for (const auto* s : series) n = std::min(n, s->step.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::array<double, 3> row{series.front()->step[i], 0.0, 0.0};
    for (const auto* s : series) {
      row[1] += s->wall_time[i];
      row[2] += s->value[i];
    }
    row[1] /= double(series.size());
    row[2] /= double(series.size());
    out.push_back(row);
  }
  return out;
}

void write_dat(const std::string& path, const std::vector<std::array<double, 3>>& rows) {
  std::ofstream f(path);
  RNNLAB_CHECK(f, "report: cannot write ", path);
  f << "# step wall_time value\n";
  f.precision(10);
  for (const auto& r : rows) f << r[0] << " " << r[1] << " " << r[2] << "\n";
  RNNLAB_CHECK(f, "report: cannot write ", path);
}

std::string q(const std::string& s) { return gnuplot_quote(s); }

// A POSIX shell single-quoted word.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string label(const GroupRow& g, bool several_experiments) {
  return several_experiments ? g.experiment + "/" + g.group : g.group;
}

}  // namespace

std::vector<std::string> write_plots(const std::vector<GroupRow>& groups, const std::string& dir) {
  fs::create_directories(fs::path(dir) / "data");
  std::set<std::string> experiments, metrics;
  for (const auto& g : groups) {
    experiments.insert(g.experiment);
    if (!g.metric.empty()) metrics.insert(g.metric);
  }
  const bool several = experiments.size() > 1;
  const std::string eval_label = metrics.size() == 1 ? "eval " + *metrics.begin() : "eval metric";

  // Data files, one pair per group.
  std::vector<std::string> train_files, eval_files;
  bool loss_positive = true;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::vector<const Series*> tr, ev;
    for (const auto* r : groups[i].runs) {
      if (!r->train_loss.step.empty()) tr.push_back(&r->train_loss);
      if (!r->eval_metric.step.empty()) ev.push_back(&r->eval_metric);
    }
    auto tc = mean_curve(tr), ec = mean_curve(ev);
    for (const auto& row : tc) loss_positive &= row[2] > 0;
    const std::string base = (fs::path(dir) / "data" / ("group" + std::to_string(i))).string();
    write_dat(base + "_train.dat", tc);
    write_dat(base + "_eval.dat", ec);
    train_files.push_back(tc.empty() ? "" : base + "_train.dat");
    eval_files.push_back(ec.empty() ? "" : base + "_eval.dat");
  }

  const std::string title = several ? std::string("learning curves")
                                    : (groups.empty() ? "" : groups.front().experiment);
  const std::string step_png = (fs::path(dir) / "curves_step.png").string();
  const std::string time_png = (fs::path(dir) / "curves_time.png").string();
  const std::string script = (fs::path(dir) / "curves.gp").string();
  {
    std::ofstream gp(script);
    RNNLAB_CHECK(gp, "report: cannot write ", script);
    gp << "# Learning curves written by `rnnlab report`; redraw with: gnuplot " << script << "\n"
       << "set terminal pngcairo size 1400,520 font 'sans,10' noenhanced\n"
       << "set grid\nset key top right\nset style data lines\n";
    auto plot = [&](const std::vector<std::string>& files, int xcol, const std::string& style) {
      std::string cmd = "plot ";
      bool any = false;
      for (std::size_t i = 0; i < files.size(); ++i) {
        if (files[i].empty()) continue;
        cmd += std::string(any ? ", " : "") + q(files[i]) + " using " + std::to_string(xcol) +
               ":3 with " + style + " lw 2 title " + q(label(groups[i], several));
        any = true;
      }
      // An empty panel still needs a plot command to keep the layout.
      return any ? cmd + "\n" : std::string("set label 1 'no data' at graph 0.45,0.5\nplot [0:1][0:1] NaN notitle\nunset label 1\n");
    };
    for (int pass = 0; pass < 2; ++pass) {
      const int xcol = pass == 0 ? 1 : 2;
      const std::string xlabel = pass == 0 ? "step" : "wall time (s)";
      gp << "set output " << q(pass == 0 ? step_png : time_png) << "\n"
         << "set multiplot layout 1,2 title " << q(title + " — vs " + xlabel) << "\n"
         << "set xlabel " << q(xlabel) << "\n"
         << "set title 'training loss'\nset ylabel 'loss (mean over the log window)'\n"
         << (loss_positive ? "set logscale y\n" : "unset logscale y\n")
         << plot(train_files, xcol, "lines")
         << "unset logscale y\n"
         << (metrics.size() == 1 && *metrics.begin() == "accuracy" ? "set key bottom right\n"
                                                                     : "set key top right\n")
         << "set title " << q(eval_label) << "\nset ylabel " << q(eval_label)
         << "\n"
         << plot(eval_files, xcol, "linespoints")
         << "set key top right\nunset multiplot\nset output\n";
    }
  }
  run_gnuplot(script, "report --plots");
  return {step_png, time_png};
}

std::string gnuplot_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

void run_gnuplot(const std::string& script, const std::string& who) {
  const std::string log = script + ".log";
  const std::string cmd = "gnuplot " + shell_quote(script) + " > " + shell_quote(log) + " 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream lf(log);
    std::string text((std::istreambuf_iterator<char>(lf)), std::istreambuf_iterator<char>());
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 127)
      throw Error(who + " needs gnuplot (Debian: apt-get install gnuplot-nox)");
    throw Error(who + ": gnuplot failed on " + script + ":\n" + text);
  }
  fs::remove(log);
}

}  // namespace rnnlab::cli
