// rnnlab predict RUN.h5: closed-loop forecast of a trained one-variable series model.
//
// The run's model is rebuilt from /config/resolved and its final weights from /params. On the
// run's held-out windows (consecutive windows s[j..j+T) of one series whose per-step targets
// are the next values, as `fibonacci` and `csv { target every_step }` make), the forecast is
//
//   w_0     = s[k .. k+W)                      W = --warmup true values (k = --start)
//   p_i     = model(w_i)[last step]            the model's next-value prediction
//   w_{i+1} = (w_i without its first value, p_i)   i = 0 .. N-1 (N = --steps)
//
// i.e. after the warm-up the model only sees its own predictions (a sliding window of W values
// run through the model from a zero state each time). Printed: the MSE against the truth
// s[k+W+i], the share of predictions that round to the true value (for integer series), and
// the first step where they part. --csv writes step, truth, prediction; --plot a PNG.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli_common.h"
#include "report_plots.h"
#include "rnnlab/autodiff.h"
#include "rnnlab/backend.h"
#include "rnnlab/run_file.h"
#include "rnnlab/runner.h"

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

// The held-out part of the run's series, rebuilt from consecutive windows: s[0..) such that
// window j is s[j..j+T) and its targets s[j+1..j+T+1).
std::vector<double> held_out_series(const DataSetup& data, const std::string& run) {
  const Dataset& ds = *data.dataset;
  RNNLAB_CHECK_INPUT(ds.input_size() == 1 && ds.output_size() == 1 && ds.num_classes() == 0,
                     "predict: ", run, " was trained on ", data.description,
                     "; a closed-loop forecast needs one input value and one target value per step");
  std::vector<double> s;
  const auto& ids = data.eval;
  RNNLAB_CHECK_INPUT(!ids.empty(), "predict: the run's data has no held-out windows");
  for (std::size_t j = 0; j < ids.size(); ++j) {
    Batch b = ds.batch({ids[j]}, DType::f64);
    RNNLAB_CHECK_INPUT(b.y_value.defined() && b.y_value.rank() == 3,
                       "predict: ", data.description, " has no per-step targets (y [T,B,1]); "
                       "use a source whose target at every step is the next value");
    const auto x = to_vector<double>(b.x), y = to_vector<double>(b.y_value);
    const std::size_t T = x.size();
    bool next_values = true;
    for (std::size_t t = 0; t + 1 < T; ++t) next_values &= x[t + 1] == y[t];
    if (j == 0) s = x;
    bool consecutive = true;
    for (std::size_t t = 0; t < T; ++t) consecutive &= s[j + t] == x[t];
    RNNLAB_CHECK_INPUT(next_values && consecutive, "predict: the held-out windows of ",
                       data.description, " are not consecutive windows of one series whose "
                       "targets are the next values (window ", j, ")");
    s.push_back(y[T - 1]);
  }
  return s;
}

void load_params(Model& model, const RunFile& run) {
  for (auto& p : model.params().all()) {
    const std::string path = "/params/" + p->name;
    RNNLAB_CHECK_INPUT(run.exists(path), "predict: ", run.path(), " has no ", path,
                       " (did the run finish?)");
    Tensor t = run.read_tensor(path);
    RNNLAB_CHECK_INPUT(t.shape() == p->value.shape(), "predict: ", path, " has shape ",
                       shape_str(t.shape()), ", the model expects ", shape_str(p->value.shape()));
    backend_for(p->value.device()).copy(to_dtype(t, p->value.dtype()), p->value);
  }
}

double predict_next(Model& model, const std::vector<double>& window, DType dtype) {
  Tape tape(Device::cpu);
  const auto w = static_cast<int64_t>(window.size());
  Var x = tape.constant(to_dtype(from_vector(window, {w, 1, 1}), dtype));
  Activation out = model.forward(tape, Activation{x, true, {}}, ForwardContext{false, 0});
  const auto v = to_vector<double>(to_dtype(out.x.value(), DType::f64));
  return v.back();
}

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

  RunFile run = RunFile::open(path);
  RNNLAB_CHECK_INPUT(run.exists("config/resolved"), "predict: ", path,
                     " has no /config/resolved (not a run file of `rnnlab run`, or one cut off "
                     "before its header was written)");
  auto plugins = load_plugins(plugin_dirs);
  Catalog catalog(plugins->cells);
  const std::string source = run.has_attr("source_path") ? run.attr_string("source_path") : path;
  const ExperimentSpec compiled =
      compile_experiment_text(run.read_text("/config/resolved"), source, catalog);
  RNNLAB_CHECK_INPUT(compiled.models.size() == 1, "predict: ", path, " describes ",
                     compiled.models.size(), " models, expected the one of its run");
  const ExperimentSpec spec = resolve_run_spec(compiled, compiled.models.front().name, catalog);
  const TrainConfig cfg = train_config(spec, catalog);
  DataSetup data = create_data(spec, catalog);
  const std::vector<double> truth = held_out_series(data, path);
  const auto need = static_cast<std::size_t>(start + warmup + steps);
  RNNLAB_CHECK_INPUT(need <= truth.size(), "predict: --start + --warmup + --steps = ", need,
                     " values, but the held-out series has only ", truth.size());

  auto model = build_model(spec.models.front(), catalog, 1, spec.seed, Device::cpu, cfg.dtype,
                           /*stateful=*/false, /*per_step_targets=*/true);
  load_params(*model, run);

  std::vector<double> window(truth.begin() + start, truth.begin() + start + warmup), pred;
  for (int64_t i = 0; i < steps; ++i) {
    pred.push_back(predict_next(*model, window, cfg.dtype));
    window.erase(window.begin());
    window.push_back(pred.back());
  }

  double sq = 0;
  int64_t rounded_ok = 0, first_miss = -1;
  for (int64_t i = 0; i < steps; ++i) {
    const double t = truth[static_cast<std::size_t>(start + warmup + i)];
    sq += (pred[i] - t) * (pred[i] - t);
    const bool ok = std::lround(pred[i]) == std::lround(t);
    rounded_ok += ok;
    if (!ok && first_miss < 0) first_miss = i;
  }
  std::printf("%s (%s): %lld closed-loop steps after %lld true values\n", path.c_str(),
              spec.models.front().name.c_str(), static_cast<long long>(steps),
              static_cast<long long>(warmup));
  std::printf("  mse %.5g   rounded to the true value: %lld/%lld   first miss: %s\n", sq / double(steps),
              static_cast<long long>(rounded_ok), static_cast<long long>(steps),
              first_miss < 0 ? "none" : ("step " + std::to_string(first_miss)).c_str());

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
