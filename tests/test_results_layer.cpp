// The results layer's library homes: scoped HDF5 error handling (results/h5.h), the run
// reader's metrics and aggregation (run_reader.h), run-state probing (run_state.h), collect's
// sweep summary and summary.h5 (sweep_summary.h, summary_file.h) and the trainer's metric
// tables (train/metric_log.h), on small run files written here.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "results/h5.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/run_reader.h"
#include "rnnlab/run_state.h"
#include "rnnlab/summary_file.h"
#include "rnnlab/sweep_summary.h"
#include "test_util.h"
#include "train/metric_log.h"

using namespace rnnlab;
namespace L = rnnlab::layout;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A run file as the trainer leaves it: status, timing attrs, /metrics and /eval rows.
void write_run(const std::string& path, const std::string& status, double final_loss,
               std::vector<double> eval_acc, int64_t steps = 10, double train_time = 2.0) {
  RunFile f = RunFile::create(path);
  for (std::size_t i = 0; i < eval_acc.size(); ++i) {
    f.append_metrics(L::kMetrics, {{L::kStep, double(i + 1)},
                                   {L::kLoss, final_loss + double(eval_acc.size() - 1 - i)}});
    f.append_metrics(
        L::kEval,
        {{L::kStep, double(i + 1)}, {L::kLoss, 1.0 / double(i + 1)}, {L::kAccuracy, eval_acc[i]}});
  }
  f.set_attr(L::kSteps, steps);
  f.set_attr(L::kTrainTime, train_time);
  f.set_attr(L::kWallTime, train_time + 1);
  if (status == L::kFinished || status == L::kFailed) f.finish(status);
}

int counting_handler_calls = 0;
herr_t counting_handler(hid_t, void*) {
  ++counting_handler_calls;
  return 0;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("h5 QuietErrors silences HDF5 errors only while alive and restores the handler") {
  H5E_auto2_t before = nullptr;
  void* before_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &before, &before_data);
  H5Eset_auto2(H5E_DEFAULT, counting_handler, nullptr);
  {
    h5::QuietErrors quiet;
    H5E_auto2_t inside = nullptr;
    void* data = nullptr;
    H5Eget_auto2(H5E_DEFAULT, &inside, &data);
    CHECK((inside == nullptr));
  }
  H5E_auto2_t after = nullptr;
  void* after_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &after, &after_data);
  CHECK((after == &counting_handler));

  // A failed probe through RunFile (a garbage file) leaves the caller's handler installed, and
  // the summary writer no longer switches HDF5's error printing off for the whole process.
  const std::string dir = test::fresh_dir("results_layer_h5");
  std::ofstream(dir + "/garbage.h5") << "not HDF5\n";
  CHECK_THROWS_AS(RunFile::open(dir + "/garbage.h5"), InputError);
  write_summary_h5(dir + "/summary.h5", {SummaryTable{"x", {}}});
  CHECK_THROWS_AS(read_string_column(dir + "/summary.h5", "x/nope"), InputError);
  H5Eget_auto2(H5E_DEFAULT, &after, &after_data);
  CHECK((after == &counting_handler));
  CHECK(counting_handler_calls == 0);  // RunFile's own failures were silenced
  H5Eset_auto2(H5E_DEFAULT, before, before_data);
}

TEST_CASE("run reader: last and best logged values skip NaN rows") {
  CHECK(last_logged({1, 2, kNaN}) == 2);
  CHECK(std::isnan(last_logged({})));
  CHECK(std::isnan(last_logged({kNaN})));
  CHECK(best_logged({0.5, kNaN, 0.9, 0.7}, true) == 0.9);
  CHECK(best_logged({kNaN, 0.5, 0.2, 0.7}, false) == 0.2);
  CHECK(std::isnan(best_logged({kNaN}, true)));
  const RunMetrics m = metrics_of({3, 2}, {0.4, 0.3, 0.5}, {});
  CHECK(m.final_train_loss == 2);
  CHECK(m.final_eval_loss == 0.5);
  CHECK(m.best_eval_loss == 0.3);
  CHECK(std::isnan(m.final_eval_accuracy));
  CHECK(std::isnan(m.best_eval_accuracy));
}

TEST_CASE("run reader: stat_of is the mean and the sample std, grouping keeps first-seen order") {
  const Stat s = stat_of({1, 2, 3, 4});
  CHECK(s.mean == doctest::Approx(2.5));
  CHECK(s.std == doctest::Approx(std::sqrt(5.0 / 3.0)));
  CHECK(stat_of({7}).std == 0);
  CHECK(std::isnan(stat_of({}).mean));
  CHECK(std::isnan(stat_of({}).std));
  const auto g = group_in_order({"b", "a", "b", "c", "a"});
  REQUIRE(g.size() == 3);
  CHECK(g[0] == std::vector<std::size_t>{0, 2});
  CHECK(g[1] == std::vector<std::size_t>{1, 4});
  CHECK(g[2] == std::vector<std::size_t>{3});
  // The one seed rule in report's and collect's spellings.
  CHECK(sweep_point_without_seed({"hidden=64", "seed=2"}, "_") == "hidden=64");
  CHECK(sweep_point_without_seed({"model.lstm.hidden=8", "seed=1", "train.lr=0.1"}, ";") ==
        "model.lstm.hidden=8;train.lr=0.1");
  CHECK(sweep_point_without_seed({"seed=3"}, ";").empty());
}

TEST_CASE("run reader: read_metrics and read_timing on a run file, read_run groups by seed") {
  const std::string dir = test::fresh_dir("results_layer_read");
  write_run(dir + "/a.h5", L::kFinished, 0.25, {0.5, 0.9, 0.8}, 10, 2.0);
  RunFile f = RunFile::open(dir + "/a.h5");
  const RunMetrics m = read_metrics(f);
  CHECK(m.final_train_loss == 0.25);
  CHECK(m.final_eval_accuracy == 0.8);
  CHECK(m.best_eval_accuracy == 0.9);
  CHECK(m.best_eval_loss == doctest::Approx(1.0 / 3.0));
  const RunTiming t = read_timing(f);
  CHECK(t.steps == 10);
  CHECK(t.ms_per_step == doctest::Approx(200.0));
  CHECK(t.wall_time == 3.0);

  RunRecord r = read_run(dir + "/a.h5");
  CHECK(r.accuracy);
  CHECK(r.final_metric == 0.8);
  CHECK(r.best_metric == 0.9);
  CHECK(r.group == "a");  // no model attr: the file's stem

  // A file without timing attrs: NaN, never a division by zero.
  RunFile bare = RunFile::create(dir + "/bare.h5");
  const RunTiming none = read_timing(bare);
  CHECK(none.steps == 0);
  CHECK(std::isnan(none.ms_per_step));
  CHECK(std::isnan(none.wall_time));
}

TEST_CASE("run state: missing, finished, failed, running and an unreadable file") {
  const std::string dir = test::fresh_dir("results_layer_state");
  CHECK(run_state(dir + "/none.h5") == RunState::missing);
  write_run(dir + "/done.h5", L::kFinished, 0.1, {0.9}, 7);
  int64_t steps = 0;
  CHECK(run_state(dir + "/done.h5", &steps) == RunState::finished);
  CHECK(steps == 7);
  write_run(dir + "/live.h5", L::kRunning, 0.1, {0.9});
  CHECK(run_state(dir + "/live.h5") == RunState::running);
  std::ofstream(dir + "/bad.h5") << "garbage";
  std::string error, unreadable;
  CHECK(run_state(dir + "/bad.h5", nullptr, &error, &unreadable) == RunState::failed);
  CHECK(!unreadable.empty());
  CHECK(error == unreadable);

  std::vector<ManifestRecord> records(2);
  records[0].path = dir + "/done.h5";
  records[1].path = dir + "/bad.h5";
  std::ostringstream warn;
  const auto statuses = run_statuses(records, warn);
  REQUIRE(statuses.size() == 2);
  CHECK(statuses[0].state == "finished");
  CHECK(statuses[1].state == "failed");
  CHECK(warn.str().find(dir + "/bad.h5: unreadable run file, counted as failed") !=
        std::string::npos);
}

TEST_CASE("sweep summary: groups by grid point, averages finished runs only, writes the tables") {
  const std::string dir = test::fresh_dir("results_layer_summary");
  std::vector<ManifestRecord> records;
  auto add = [&](const std::string& grid, int seed, const std::string& status, double loss) {
    ManifestRecord r;
    r.task = int64_t(records.size());
    r.model = "lstm";
    r.id = "tiny/lstm-" + grid + "_seed=" + std::to_string(seed);
    r.path = dir + "/run" + std::to_string(r.task) + ".h5";
    r.overrides = {"model.lstm.hidden=" + grid.substr(7), "seed=" + std::to_string(seed)};
    if (status != "missing") write_run(r.path, status, loss, {0.5, 0.7});
    records.push_back(r);
  };
  add("hidden=4", 1, L::kFinished, 1.0);
  add("hidden=8", 1, L::kFinished, 5.0);
  add("hidden=4", 2, L::kFinished, 3.0);
  add("hidden=4", 3, L::kFailed, 9.0);
  add("hidden=4", 4, "missing", 0);
  std::ostringstream warn;
  const SweepSummary s = summarize_sweep(run_statuses(records, warn), warn);
  REQUIRE(s.runs.size() == 5);
  CHECK(std::isnan(s.runs[3].metrics.final_train_loss));   // failed: no metrics
  CHECK(s.runs[3].ms_per_step == doctest::Approx(200.0));  // but its timing
  REQUIRE(s.groups.size() == 2);
  const SweepGroupRow& g = s.groups[0];
  CHECK(g.grid == "model.lstm.hidden=4");
  CHECK(g.runs == 4);
  CHECK(g.finished == 2);
  CHECK(g.failed == 1);                              // the missing run is neither
  CHECK(g.metrics[0].mean == doctest::Approx(2.0));  // final train loss of the finished two
  CHECK(g.metrics[0].std == doctest::Approx(std::sqrt(2.0)));
  CHECK(g.metrics[4].mean == doctest::Approx(0.7));  // best eval accuracy
  CHECK(s.groups[1].runs == 1);
  CHECK(s.groups[1].metrics[0].std == 0);

  write_sweep_summary(dir, s);
  CHECK(read_string_column(dir + "/summary.h5", "runs/status") ==
        std::vector<std::string>{"finished", "finished", "finished", "failed", "missing"});
  CHECK(read_string_column(dir + "/summary.h5", "groups/grid") ==
        std::vector<std::string>{"model.lstm.hidden=4", "model.lstm.hidden=8"});
  std::ifstream csv(dir + "/summary_groups.csv");
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  CHECK(header.rfind("experiment,model,grid,runs,finished,failed,mean_final_train_loss,", 0) == 0);
  CHECK(row.rfind("tiny,lstm,model.lstm.hidden=4,4,2,1,2,", 0) == 0);
}

TEST_CASE("metric log: counts its rows, flushes, and resume truncates to a checkpoint's counts") {
  const std::string dir = test::fresh_dir("results_layer_metric_log");
  RunFile f = RunFile::create(dir + "/run.h5");
  MetricLog log(&f);
  for (int step = 1; step <= 3; ++step)
    log.train_row(step, 1, 0.1 * step, 1.0 / step, 0.5, 100, step == 3 ? 0.75 : -1);
  EvalResult e;
  e.loss = 0.4;
  e.accuracy = -1;  // regression: no accuracy column
  log.eval_row(3, 1, 0.4, e);
  log.epoch_row(1, 0.6, 0.3);
  CHECK(log.rows().metrics == 3);
  CHECK(log.rows().eval == 1);
  CHECK(log.rows().epochs == 1);
  CHECK(f.series_names(L::kMetrics) ==
        std::vector<std::string>{"step", "epoch", "wall_time", "loss", "grad_norm",
                                 "sequences_per_second", "accuracy"});
  CHECK(std::isnan(f.read_series(L::kMetrics, L::kAccuracy)[0]));
  CHECK(f.series_names(L::kEval) == std::vector<std::string>{"step", "epoch", "wall_time", "loss"});
  CHECK(f.series_names(L::kEpochs) == std::vector<std::string>{"epoch", "loss", "train_time"});

  MetricLog resumed(&f);
  resumed.resume(MetricRows{2, 0, 1});
  CHECK(f.num_rows(L::kMetrics) == 2);
  CHECK(f.num_rows(L::kEval) == 0);
  CHECK(f.num_rows(L::kEpochs) == 1);
  resumed.train_row(3, 1, 0.3, 0.3, 0.5, 100, -1);
  CHECK(resumed.rows().metrics == 3);

  MetricLog none(nullptr);  // no run file: nothing to write, nothing counted
  none.train_row(1, 1, 0, 1, 0, 0, -1);
  CHECK(none.rows().metrics == 0);
}

TEST_SUITE_END();
