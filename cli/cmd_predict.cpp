// rnnlab predict RUN.h5: closed-loop forecast of a trained one-variable series model.
//
// The run's model comes back from its run file (trained_model.h: /config/resolved, /params);
// the held-out series, the forecast and its score are forecast.h's. Printed: the MSE against
// the truth, the share of predictions that round to the true value (for integer series), and
// the first step where they part. --csv writes step, truth, prediction; --plot a PNG.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli_common.h"
#include "report_plots.h"
#include "rnnlab/forecast.h"
#include "rnnlab/isolated.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/runner.h"
#include "rnnlab/trained_model.h"

namespace rnnlab::cli {

namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: rnnlab predict RUN.h5 [--warmup W] [--steps N] [--start K] [--csv FILE] [--plot PNG]\n"
    "\n"
    "Closed-loop forecast of a trained model of one series (fibonacci, csv with target\n"
    "every_step): seeded with W true values of the held-out part, it then feeds its own\n"
    "predictions back for N steps. Prints the error against the truth; --csv and --plot\n"
    "write the two curves.";

void write_plot(const std::string& png, const std::string& csv, const std::string& title,
                int64_t warmup) {
  fs::create_directories(fs::absolute(png).parent_path());
  const std::string script = png + ".gp";
  std::ofstream gp(script);
  gp << "# written by `rnnlab predict`; redraw with: gnuplot " << script << "\n"
     << "set terminal pngcairo size 1000,420 noenhanced\nset output " << gnuplot_quote(png) << "\n"
     << "set datafile separator ','\nset key outside top center horizontal\n"
     << "set title " << gnuplot_quote(title) << "\nset xlabel 'step'\nset ylabel 'value'\n"
     << "set arrow from " << warmup - 0.5 << ", graph 0 to " << warmup - 0.5
     << ", graph 1 nohead dt 2\n"
     << "plot " << gnuplot_quote(csv) << " using 1:2 with linespoints pt 7 ps 0.5 title 'truth', "
     << gnuplot_quote(csv) << " using 1:3 with linespoints pt 6 ps 0.6 title 'closed-loop prediction'\n";
  gp.close();
  RNNLAB_CHECK(gp, "predict: cannot write ", script);
  run_gnuplot(script, "predict --plot");
}

}  // namespace

int cmd_predict(const Args& args) {
  po::options_description opts("options");
  std::string path, csv, plot;
  int64_t warmup = 30, steps = 120, start = 0;
  std::vector<std::string> plugin_dirs;
  opts.add_options()
      ("warmup", po::value(&warmup)->default_value(30), "true values the forecast starts from")
      ("steps", po::value(&steps)->default_value(120), "predictions fed back in closed loop")
      ("start", po::value(&start)->default_value(0), "first held-out value of the warm-up")
      ("csv", po::value(&csv), "write step,truth,prediction (warm-up rows: prediction empty)")
      ("plot", po::value(&plot), "write a PNG of truth and prediction (needs gnuplot)")
      ("plugin-path", po::value(&plugin_dirs), "extra plugin folder (repeatable)");
  po::options_description hidden;
  hidden.add_options()("run", po::value(&path), "run file");
  po::positional_options_description pos;
  pos.add("run", 1);
  po::variables_map vm;
  if (!parse("predict", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("predict", vm, "run", "a run file (RUN.h5)");
  if (warmup < 1 || steps < 1 || start < 0)
    throw UsageError("rnnlab predict: --warmup and --steps must be >= 1, --start >= 0");

  auto plugins = load_plugins(plugin_dirs);
  Catalog catalog(plugins->cells);
  auto compile = [&](const std::string& text, const std::string& source) {
    return compile_experiment_text(text, source, catalog);
  };
  // A file of unknown origin is read once in a child process first (rnnlab/isolated.h): what
  // predict reads of it, the spec and the weights, so that one that crashes libhdf5 is an error
  // naming it, not a crash of this command.
  const std::vector<IsolatedResult> probed = run_isolated(1, [&](std::size_t) {
    RunFile run = RunFile::open(path);
    read_trained_run(run, catalog, compile);
    for (const auto& p : run.dataset_paths(layout::kParams))
      run.read_tensor(layout::at(layout::kParams, p));
    return std::string();
  });
  const IsolatedResult& probe = probed.front();
  if (probe.kind == IsolatedResult::Kind::crashed)
    throw InputError("predict: " + path + ": the file is damaged: reading it crashed the reader (" +
                     probe.text + ")");
  if (probe.kind != IsolatedResult::Kind::ok)  // it read nothing but the file: bad input
    throw InputError(probe.text);

  RunFile run = RunFile::open(path);
  const TrainedRun trained = read_trained_run(run, catalog, compile);
  const ExperimentSpec& spec = trained.spec;
  DataSetup data = create_data(spec, catalog);
  const std::vector<double> truth = held_out_series(data);
  auto model = build_model(spec.models.front(), catalog, 1, spec.seed, Device::cpu,
                           trained.config.dtype, /*stateful=*/false, /*per_step_targets=*/true);
  load_parameters(*model, run);
  const std::vector<double> pred =
      closed_loop_forecast(*model, truth, start, warmup, steps, trained.config.dtype);
  const ForecastScore score = score_forecast(pred, truth, start, warmup);

  std::printf("%s (%s): %lld closed-loop steps after %lld true values\n", path.c_str(),
              spec.models.front().name.c_str(), static_cast<long long>(steps),
              static_cast<long long>(warmup));
  std::printf("  mse %.5g   rounded to the true value: %lld/%lld   first miss: %s\n", score.mse,
              static_cast<long long>(score.rounded_ok), static_cast<long long>(steps),
              score.first_miss < 0 ? "none" : ("step " + std::to_string(score.first_miss)).c_str());

  if (!csv.empty() || !plot.empty()) {
    const std::string csv_path = csv.empty() ? plot + ".csv" : csv;
    if (fs::absolute(csv_path).has_parent_path()) fs::create_directories(fs::absolute(csv_path).parent_path());
    std::ofstream f(csv_path);
    f << "step,truth,prediction\n";
    f.precision(8);
    for (int64_t i = 0; i < warmup + steps; ++i) {
      f << i << "," << truth[static_cast<std::size_t>(start + i)] << ",";
      if (i >= warmup) f << pred[static_cast<std::size_t>(i - warmup)];
      f << "\n";
    }
    f.close();
    RNNLAB_CHECK(f, "predict: cannot write ", csv_path);
    if (!csv.empty()) std::cerr << "wrote " << csv_path << "\n";
    if (!plot.empty()) {
      write_plot(plot, csv_path, spec.name + " / " + spec.models.front().name +
                                     ": closed-loop forecast after " + std::to_string(warmup) +
                                     " true values", warmup);
      if (csv.empty()) fs::remove(csv_path);
      std::cerr << "wrote " << plot << "\n";
    }
  }
  return kExitOk;
}

}  // namespace rnnlab::cli
