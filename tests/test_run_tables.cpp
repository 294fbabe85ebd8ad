// The results layer's tables of `rnnlab report`, called directly: the keys of a run and the
// pivot over them (run_pivot.h), per-epoch rows, the first step reaching a target and
// mean ± std curves (run_views.h), on RunRecords built here (the binary's output:
// test_cli*.cpp, test_report_html.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "cli/runner_util.h"
#include "rnnlab/catalog.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/run_pivot.h"
#include "rnnlab/run_views.h"
#include "rnnlab/runner.h"
#include "rnnlab/spec_text.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::error_of;
using rnnlab::test::tiny_digits_spec;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Series series(std::vector<double> step, std::vector<double> value) {
  Series s;
  s.step = std::move(step);
  s.value = std::move(value);
  s.wall_time.assign(s.step.size(), 0.0);
  s.epoch.assign(s.step.size(), kNaN);
  return s;
}

// A run with typed /config/values: a `cell` of `hidden` units; eval accuracy rows (none: no eval).
RunRecord run(const std::string& cell, const std::string& hidden, std::vector<double> accuracy,
              int64_t seed = 1) {
  RunRecord r;
  r.experiment = "study";
  r.model = "m";
  r.group = "m";
  r.status = "finished";
  r.seed = seed;
  r.values = {{"seed", std::to_string(seed)}, {"cell", cell},           {"cell.hidden", hidden},
              {"layer0.kind", cell},          {"layer1.kind", "dense"}, {"layer1.units", "10"},
              {"data.source", "digits"},      {"train.batch", "16"},    {"optimizer.lr", "0.01"}};
  r.has_eval = r.accuracy = !accuracy.empty();
  r.metric = r.accuracy ? "accuracy" : "loss";  // as read_run picks it
  std::vector<double> steps;
  for (std::size_t i = 0; i < accuracy.size(); ++i) steps.push_back(double(10 * (i + 1)));
  r.eval_accuracy = series(steps, accuracy);
  r.eval_loss = series(steps, std::vector<double>(accuracy.size(), 0.5));
  r.final_train_loss = 0.25;
  r.ms_per_step = 2.0;
  return r;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("run_keys: /config/values under dotted names with leaf aliases and the layer list") {
  const auto k = run_keys(run("gru", "64", {0.9}, 2));
  CHECK(k.at("cell") == "gru");
  CHECK(k.at("hidden") == "64");
  CHECK(k.at("cell.hidden") == "64");
  CHECK(k.at("model.m.hidden") == "64");
  CHECK(k.at("layers") == "gru->dense");
  CHECK(k.at("model.m.layer1.units") == "10");
  CHECK(k.at("units") == "10");
  CHECK(k.at("data") == "digits");
  CHECK(k.at("train.optimizer.lr") == "0.01");
  CHECK(k.at("lr") == "0.01");
  CHECK(k.at("batch") == "16");
  CHECK(k.at("seed") == "2");
  CHECK(k.at("experiment") == "study");
  CHECK(k.at("status") == "finished");
}

TEST_CASE("run_keys: a run file without /config/values is read from describe_spec's text") {
  Catalog cat(builtin_cells());
  RunRecord r;
  r.model = "lstm";
  r.resolved = describe_spec(resolve_run_spec(tiny_digits_spec(), "lstm", cat));
  r.attrs = {{layout::kSweepId, "warm_up=5_seed=3"}, {layout::kBackend, "cpu"}};
  const auto k = run_keys(r);
  CHECK(k.at("cell") == "lstm");
  CHECK(k.at("hidden") == "8");
  CHECK(k.at("model.lstm.hidden") == "8");
  CHECK(k.at("model.lstm.layer1.units") == "10");
  CHECK(k.at("layers") == "lstm->dense");
  CHECK(k.at("data") == "digits");
  CHECK(k.at("train.batch") == "16");
  CHECK(k.at("batch") == "16");
  CHECK(k.at("backend") == "cpu");
  CHECK(k.at("warm_up") == "5");        // the sweep id's pairs ('_' inside a leaf)
  CHECK(k.at("forget_bias") == "1.0");  // a default, as the resolved text writes it
}

TEST_CASE("make_pivot: rows and columns sorted as numbers or text with mean and std per cell") {
  const std::vector<RunRecord> runs = {run("lstm", "16", {0.5, 0.8}, 1),
                                       run("lstm", "16", {0.9, 0.6}, 2), run("gru", "8", {0.7}),
                                       run("lstm", "8", {0.4})};
  const Pivot p = make_pivot(runs, parse_pivot_keys("hidden, cell"));
  CHECK(p.keys == std::vector<std::string>{"hidden", "cell"});
  CHECK(p.metric == "accuracy");
  CHECK(p.rows == std::vector<std::vector<std::string>>{{"8"}, {"16"}});  // 8 < 16 as numbers
  CHECK(p.cols == std::vector<std::string>{"gru", "lstm"});
  CHECK(p.cells.size() == 3);
  CHECK(p.cells.count({1, 0}) == 0);  // no gru of hidden 16
  const PivotCell& c = p.cells.at({1, 1});
  REQUIRE(c.runs.size() == 2);
  CHECK(c.runs[0] == &runs[0]);
  CHECK(c.with_eval == 2);
  CHECK(c.final_metric.mean == doctest::Approx(0.7));  // last rows 0.8 and 0.6
  CHECK(c.final_metric.std == doctest::Approx(std::sqrt(0.02)));
  CHECK(c.best_metric.mean == doctest::Approx(0.85));  // best rows 0.8 and 0.9
  CHECK(c.train_loss.mean == doctest::Approx(0.25));
  CHECK(c.ms_per_step.mean == doctest::Approx(2.0));

  const Pivot one = make_pivot(runs, {"cell"});
  CHECK(one.rows == std::vector<std::vector<std::string>>{{"gru"}, {"lstm"}});
  CHECK(one.cols == std::vector<std::string>{""});
  CHECK(one.cells.at({1, 0}).runs.size() == 3);
}

TEST_CASE("make_pivot: the eval loss when a run has no accuracy and '-' for a missing key") {
  std::vector<RunRecord> runs = {run("lstm", "8", {0.9}), run("lstm", "8", {})};
  runs[1].values.erase(runs[1].values.begin() + 2);  // no cell.hidden
  const Pivot p = make_pivot(runs, {"hidden"});
  CHECK(p.metric == "loss");
  CHECK(p.rows == std::vector<std::vector<std::string>>{{"-"}, {"8"}});
  CHECK(p.cells.at({0, 0}).with_eval == 0);
  CHECK(std::isnan(p.cells.at({0, 0}).final_metric.mean));
  CHECK(p.cells.at({1, 0}).final_metric.mean == doctest::Approx(0.5));
  CHECK(make_pivot({run("lstm", "8", {})}, {"cell"}).metric == "");
}

TEST_CASE("make_pivot and parse_pivot_keys: input errors name the key and the known keys") {
  CHECK(error_of([] { parse_pivot_keys("hidden,,cell"); }) == "an empty key in 'hidden,,cell'");
  CHECK_THROWS_AS(parse_pivot_keys(""), InputError);
  const std::string e = error_of([] { make_pivot({run("lstm", "8", {0.9})}, {"hiddn"}); });
  CHECK(e.find("unknown key 'hiddn'; the keys of these runs: ") == 0);
  CHECK(e.find(", hidden, ") != std::string::npos);
}

TEST_CASE("epoch_rows: mean loss of each epoch's rows and the time between epoch ends") {
  RunRecord a, b;
  a.train_loss = series({1, 2, 3, 4}, {4.0, 2.0, 1.0, kNaN});
  a.train_loss.epoch = {1, 1, 2, 2};
  a.train_loss.wall_time = {1.0, 2.0, 5.0, 9.0};
  b.train_loss = series({1, 2}, {6.0, 2.0});
  b.train_loss.epoch = {1, 2};
  b.train_loss.wall_time = {4.0, 6.0};
  GroupRow g;
  g.runs = {&a, &b};
  const std::vector<EpochRow> rows = epoch_rows(g);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].epoch == 1);
  CHECK(rows[0].runs == 2);
  CHECK(rows[0].train_loss.mean == doctest::Approx(4.5));  // (3 + 6) / 2
  CHECK(rows[0].seconds.mean == doctest::Approx(3.0));     // (2 + 4) / 2
  CHECK(rows[1].train_loss.mean == doctest::Approx(1.5));  // a's NaN row skipped: (1 + 2) / 2
  CHECK(rows[1].seconds.mean == doctest::Approx(2.5));     // a: 5 - 2, b: 6 - 4
  CHECK(rows[1].seconds.std == doctest::Approx(std::sqrt(0.5)));
  GroupRow none;
  RunRecord c;
  c.train_loss = series({1}, {1.0});  // no epoch column
  none.runs = {&c};
  CHECK(epoch_rows(none).empty());
}

TEST_CASE("parse_reach: METRIC OP VALUE and anything else an input error") {
  const ReachCondition c = parse_reach("accuracy>=0.99");
  CHECK(c.metric == "accuracy");
  CHECK(c.op == ">=");
  CHECK(c.value == 0.99);
  CHECK(c.holds(0.99));
  CHECK_FALSE(c.holds(0.98));
  CHECK_FALSE(c.holds(kNaN));
  CHECK(parse_reach("loss<1e-2").value == 0.01);
  CHECK(parse_reach("loss<1e-2").holds(0.005));
  CHECK_FALSE(parse_reach("loss<1e-2").holds(0.01));
  CHECK(parse_reach("loss<=1e-2").holds(0.01));
  CHECK(parse_reach("loss>3").holds(4));
  for (const char* bad : {"loss", "acc>0.9", "loss<", "loss<0.1x", "loss<<1", "<1"})
    CHECK_MESSAGE(error_of([&] { parse_reach(bad); }) ==
                      "expects METRIC OP VALUE with METRIC loss|accuracy|bpc|perplexity and OP < "
                      "<= > >=, e.g. 'loss<0.01', 'accuracy>=0.99' or 'bpc<2'; got '" +
                          std::string(bad) + "'",
                  bad);
}

TEST_CASE("language models: bpc is the eval metric, the lowest is best, in groups and pivots") {
  std::vector<RunRecord> runs{run("lstm", "64", {0.2, 0.3}, 1), run("lstm", "64", {0.3, 0.4}, 2)};
  const std::vector<std::vector<double>> bpc{{2.5, 2.1}, {2.4, 2.3}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i].metric = "bpc";
    runs[i].eval_metric = series(runs[i].eval_accuracy.step, bpc[i]);
  }
  CHECK(higher_is_better("accuracy"));
  CHECK(!higher_is_better("bpc"));
  REQUIRE(eval_series(runs[0], "bpc") == &runs[0].eval_metric);
  CHECK(eval_series(runs[0], "perplexity") == nullptr);
  const std::vector<GroupRow> groups = aggregate(runs);
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].metric == "bpc");
  CHECK(groups[0].final_metric.mean == doctest::Approx((2.1 + 2.3) / 2));
  CHECK(groups[0].best_metric.mean == doctest::Approx((2.1 + 2.3) / 2));  // lowest of each run
  const Pivot p = make_pivot(runs, {"cell.hidden"});
  CHECK(p.metric == "bpc");
  CHECK(p.cells.at({0, 0}).final_metric.mean == doctest::Approx(2.2));
  // A reach condition on bpc reads the bpc rows.
  const ReachRow r = reach_of(groups[0], parse_reach("bpc<2.2"));
  CHECK(r.reached == 1);
  CHECK(r.step.mean == 20);
  // A group mixing a language model and a classifier compares the eval loss they both have.
  runs[1].metric = "accuracy";
  CHECK(aggregate(runs)[0].metric == "loss");
}

TEST_CASE("reach_of: the first eval step per run and stats over the runs that reached it") {
  RunRecord a, b, c;
  a.eval_loss = series({10, 20, 30}, {0.5, 0.009, 0.001});
  b.eval_loss = series({10, 20, 30, 40}, {0.5, 0.2, kNaN, 0.005});
  c.eval_loss = series({10, 20}, {0.5, 0.2});
  GroupRow g;
  g.runs = {&a, &b, &c};
  const ReachCondition cond = parse_reach("loss<0.01");
  CHECK(first_step_reaching(a.eval_loss, cond) == 20);
  const ReachRow row = reach_of(g, cond);
  REQUIRE(row.runs.size() == 3);
  CHECK(row.reached == 2);
  CHECK(row.runs[0].step == 20);
  CHECK(row.runs[1].step == 40);
  CHECK(std::isnan(row.runs[2].step));
  CHECK(row.runs[2].last_step == 20);
  CHECK(row.step.mean == doctest::Approx(30));
  CHECK(row.step.std == doctest::Approx(std::sqrt(200.0)));
  RunRecord none;
  GroupRow empty_eval;
  empty_eval.runs = {&none};
  CHECK(reach_of(empty_eval, cond).runs[0].last_step == 0);
  CHECK(std::isnan(reach_of(empty_eval, cond).step.mean));
}

TEST_CASE("band_curve: mean and sample std row by row up to the shortest run") {
  Series a = series({5, 10, 15}, {1.0, 3.0, 9.0});
  a.wall_time = {1.0, 2.0, 3.0};
  Series b = series({5, 10}, {3.0, 5.0});
  b.wall_time = {3.0, 4.0};
  const BandCurve c = band_curve({&a, &b});
  CHECK(c.step == std::vector<double>{5, 10});
  CHECK(c.wall_time == std::vector<double>{2.0, 3.0});
  CHECK(c.mean == std::vector<double>{2.0, 4.0});
  CHECK(c.std[0] == doctest::Approx(std::sqrt(2.0)));
  const BandCurve one = band_curve({&a});
  CHECK(one.mean == a.value);
  CHECK(one.std == std::vector<double>{0, 0, 0});
  CHECK(band_curve({}).step.empty());
}

TEST_SUITE_END();
