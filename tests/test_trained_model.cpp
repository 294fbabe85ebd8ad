// trained_model.h and forecast.h without the CLI: a series model trained by the runner comes
// back from its run file with the run's weights, forecasts in closed loop, and every way a
// file can be wrong for it is an InputError naming it.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "cli/runner_util.h"
#include "rnnlab/backend.h"
#include "rnnlab/dsl/compile.h"
#include "rnnlab/forecast.h"
#include "rnnlab/manifest.h"
#include "rnnlab/summary_file.h"
#include "rnnlab/trained_model.h"
#include "test_util.h"

using namespace rnnlab;
using namespace rnnlab::test;

namespace {

const std::string kFibRnn = std::string(RNNLAB_SOURCE_DIR) + "/tests/cli/fib_tiny.rnn";

CompileSpecText dsl_compiler(const Catalog& catalog) {
  return [&catalog](const std::string& text, const std::string& source) {
    const dsl::CompileResult r = dsl::compile_text(text, source, catalog);
    if (!r.ok) throw InputError(r.rendered);
    return r.spec;
  };
}

// tests/cli/fib_tiny.rnn trained by the runner (model `one`, nstep lstm -> dense(1)).
std::string trained_fib_run(const Catalog& catalog) {
  const std::string out = unique_dir("trained_model");
  const dsl::CompileResult compiled = dsl::compile_file(kFibRnn, catalog);
  REQUIRE_MESSAGE(compiled.ok, compiled.rendered);
  RunOptions o = quiet_options(out);
  o.threads = 1;
  const auto runs = run_experiment(compiled.spec, catalog, o);
  REQUIRE(runs.size() == 1);
  REQUIRE(runs[0].status == RunState::finished);
  return runs[0].path;
}

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("trained model: the run's spec and weights come back from its run file") {
  Catalog catalog(builtin_cells());
  const std::string path = trained_fib_run(catalog);
  RunFile run = RunFile::open(path);
  const TrainedRun t = read_trained_run(run, catalog, dsl_compiler(catalog));
  REQUIRE(t.spec.models.size() == 1);
  CHECK(t.spec.models.front().name == "one");
  CHECK(t.spec.seed == 3);
  auto model = build_model(t.spec.models.front(), catalog, 1, t.spec.seed, Device::cpu,
                           t.config.dtype, false, true);
  load_parameters(*model, run);
  REQUIRE(!model->params().all().empty());
  for (auto& p : model->params().all()) {
    const auto stored = to_vector<double>(to_dtype(run.read_tensor("/params/" + p->name), DType::f64));
    const auto loaded = to_vector<double>(to_dtype(p->value, DType::f64));
    CHECK_MESSAGE(stored == loaded, p->name);
  }

  // Closed loop: the held-out series is F(k) mod 5; the forecast is scored against it.
  DataSetup data = create_data(t.spec, catalog);
  const std::vector<double> series = held_out_series(data);
  REQUIRE(series.size() > 40);
  for (std::size_t i = 2; i < series.size(); ++i)
    CHECK(series[i] == std::fmod(series[i - 1] + series[i - 2], 5.0));
  const std::vector<double> pred = closed_loop_forecast(*model, series, 2, 10, 20, t.config.dtype);
  REQUIRE(pred.size() == 20);
  double mse = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) {
    REQUIRE(std::isfinite(pred[i]));
    mse += (pred[i] - series[12 + i]) * (pred[i] - series[12 + i]) / 20.0;
  }
  const ForecastScore score = score_forecast(pred, series, 2, 10);
  CHECK(score.mse == doctest::Approx(mse).epsilon(1e-12));
  CHECK(score.rounded_ok <= 20);
  CHECK((score.first_miss < 0) == (score.rounded_ok == 20));
  // The same weights give the same forecast.
  CHECK(closed_loop_forecast(*model, series, 2, 10, 20, t.config.dtype) == pred);
  CHECK_THROWS_WITH_AS(closed_loop_forecast(*model, series, 0, 10, 100000, t.config.dtype),
                       doctest::Contains("held-out series has only"), InputError);
}

TEST_CASE("trained model: wrong files and shapes are input errors naming the file") {
  Catalog catalog(builtin_cells());
  const std::string path = trained_fib_run(catalog);
  RunFile run = RunFile::open(path);
  const TrainedRun t = read_trained_run(run, catalog, dsl_compiler(catalog));

  // Another hidden size: the stored weights do not fit.
  ModelSpec wider = t.spec.models.front();
  wider.layers.front().args["hidden"] = ArgSpec{int64_t{9}, SourceLoc{}};
  auto other = build_model(wider, catalog, 1, 3, Device::cpu, t.config.dtype, false, true);
  CHECK_THROWS_WITH_AS(load_parameters(*other, run), doctest::Contains("has shape"), InputError);

  // An HDF5 file that is no run file.
  const std::string not_run = unique_dir("trained_model_other") + "/other.h5";
  write_summary_h5(not_run, {SummaryTable{"x", {}}});
  RunFile f = RunFile::open(not_run);
  CHECK_THROWS_WITH_AS(read_trained_run(f, catalog, dsl_compiler(catalog)),
                       doctest::Contains((not_run + " has no /config/resolved").c_str()), InputError);
  auto model = build_model(t.spec.models.front(), catalog, 1, 3, Device::cpu, t.config.dtype,
                           false, true);
  CHECK_THROWS_WITH_AS(load_parameters(*model, f), doctest::Contains("did the run finish?"),
                       InputError);
}

TEST_SUITE_END();
