// gnuplot learning curves for `rnnlab report` (see report_plots.h).
#include "report_plots.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "report_format.h"
#include "rnnlab/error.h"
#include "rnnlab/process.h"

namespace rnnlab::cli {

namespace fs = std::filesystem;

namespace {

// Colours of the groups (a run's line and band share its group's colour).
constexpr std::array<const char*, 8> kColours = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                 "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// A gnuplot data file: a comment line, then one row per index of the (equally long) columns.
void write_columns(const std::string& path, const std::string& header,
                   const std::vector<const std::vector<double>*>& columns) {
  std::ofstream f(path);
  RNNLAB_CHECK(f, "report: cannot write ", path);
  f << "# " << header << "\n";
  f.precision(10);
  for (std::size_t i = 0; i < columns.front()->size(); ++i)
    for (std::size_t c = 0; c < columns.size(); ++c)
      f << (*columns[c])[i] << (c + 1 < columns.size() ? " " : "\n");
  RNNLAB_CHECK(f, "report: cannot write ", path);
}

void write_band(const std::string& path, const BandCurve& c) {
  write_columns(path, "step wall_time mean std (over the group's runs)",
                {&c.step, &c.wall_time, &c.mean, &c.std});
}

void write_series(const std::string& path, const Series& s) {
  write_columns(path, "step wall_time value (one run)", {&s.step, &s.wall_time, &s.value});
}

std::string q(const std::string& s) { return gnuplot_quote(s); }

}  // namespace

std::vector<std::string> write_plots(const std::vector<GroupRow>& groups, const std::string& dir,
                                     bool seed_lines) {
  fs::create_directories(fs::path(dir) / "data");
  std::set<std::string> experiments, metrics;
  for (const auto& g : groups) {
    experiments.insert(g.experiment);
    if (!g.metric.empty()) metrics.insert(g.metric);
  }
  const bool several = experiments.size() > 1;
  const std::string eval_label = metrics.size() == 1 ? "eval " + *metrics.begin() : "eval metric";

  // Data files: per group a band file for training and eval, per run (seed_lines) one each.
  struct Files {
    std::string band;
    std::size_t runs = 0;
    std::vector<std::string> seeds;
  };
  std::vector<Files> train_files(groups.size()), eval_files(groups.size());
  bool loss_positive = true;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::vector<const Series*> tr, ev;
    for (const auto* r : groups[i].runs) {
      if (!r->train_loss.step.empty()) tr.push_back(&r->train_loss);
      if (!r->eval_metric.step.empty()) ev.push_back(&r->eval_metric);
    }
    const BandCurve tc = band_curve(tr), ec = band_curve(ev);
    for (double m : tc.mean) loss_positive &= m > 0;
    const std::string base = (fs::path(dir) / "data" / ("group" + std::to_string(i))).string();
    write_band(base + "_train.dat", tc);
    write_band(base + "_eval.dat", ec);
    train_files[i] = {tc.step.empty() ? "" : base + "_train.dat", tr.size(), {}};
    eval_files[i] = {ec.step.empty() ? "" : base + "_eval.dat", ev.size(), {}};
    if (!seed_lines) continue;
    for (std::size_t k = 0; k < tr.size(); ++k) {
      train_files[i].seeds.push_back(base + "_run" + std::to_string(k) + "_train.dat");
      write_series(train_files[i].seeds.back(), *tr[k]);
    }
    for (std::size_t k = 0; k < ev.size(); ++k) {
      eval_files[i].seeds.push_back(base + "_run" + std::to_string(k) + "_eval.dat");
      write_series(eval_files[i].seeds.back(), *ev[k]);
    }
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
       << "# Lines: the mean over a group's runs; bands: mean ± std"
       << (seed_lines ? "; thin dashed lines: the single runs" : "") << "\n"
       << "set terminal pngcairo size 1400,520 font 'sans,10' noenhanced\n"
       << "set grid\nset key top right\nset style data lines\n";
    auto plot = [&](const std::vector<Files>& files, int xcol, const std::string& style,
                    bool log) {
      const std::string x = std::to_string(xcol);
      const std::string lo = log ? "($3-$4>0?$3-$4:$3/10)" : "($3-$4)";
      std::string bands, lines;
      for (std::size_t i = 0; i < files.size(); ++i) {
        if (files[i].band.empty()) continue;
        const std::string colour = std::string("lc rgb '") + kColours[i % kColours.size()] + "'";
        if (files[i].runs > 1)
          bands += q(files[i].band) + " using " + x + ":" + lo + ":($3+$4) with filledcurves " +
                   colour + " fs transparent solid 0.18 noborder notitle, ";
        for (const auto& f : files[i].seeds)
          lines += q(f) + " using " + x + ":3 with lines lw 1 dt 2 " + colour + " notitle, ";
        lines += q(files[i].band) + " using " + x + ":3 with " + style + " lw 2 " + colour +
                 " title " + q(group_label(groups[i], several)) + ", ";
      }
      // An empty panel still needs a plot command to keep the layout.
      if (lines.empty())
        return std::string("set label 1 'no data' at graph 0.45,0.5\nplot [0:1][0:1] NaN notitle\nunset label 1\n");
      std::string cmd = "plot " + bands + lines;
      cmd.resize(cmd.size() - 2);
      return cmd + "\n";
    };
    for (int pass = 0; pass < 2; ++pass) {
      const int xcol = pass == 0 ? 1 : 2;
      const std::string xlabel = pass == 0 ? "step" : "wall time (s)";
      gp << "set output " << q(pass == 0 ? step_png : time_png) << "\n"
         << "set multiplot layout 1,2 title " << q(title + " — vs " + xlabel) << "\n"
         << "set xlabel " << q(xlabel) << "\n"
         << "set title 'training loss (mean ± std over seeds)'\n"
         << "set ylabel 'loss (mean over the log window)'\n"
         << (loss_positive ? "set logscale y\n" : "unset logscale y\n")
         << plot(train_files, xcol, "lines", loss_positive)
         << "unset logscale y\n"
         << (metrics.size() == 1 && *metrics.begin() == "accuracy" ? "set key bottom right\n"
                                                                     : "set key top right\n")
         << "set title " << q(eval_label + " (mean ± std over seeds)") << "\nset ylabel "
         << q(eval_label) << "\n"
         << plot(eval_files, xcol, "linespoints", false)
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
  ProcessResult r;
  try {
    r = run_process({"gnuplot", script}, {.out = Output::capture(), .err = Output::capture()});
  } catch (const ProcessStartError& e) {
    throw Error(who + " needs gnuplot (Debian: apt-get install gnuplot-nox): " + e.what());
  }
  if (r.exit_code != 0)
    throw Error(who + ": gnuplot failed on " + script + " (exit " + std::to_string(r.exit_code) +
                "):\n" + r.out + r.err);
}

}  // namespace rnnlab::cli
