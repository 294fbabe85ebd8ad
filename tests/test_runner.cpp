// The runner library without the .rnn compiler: catalog contents, resolution of a spec (defaults,
// overrides, errors), sweep expansion, and complete run files from hand-built specs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "rnnlab/catalog.h"
#include "rnnlab/located_message.h"
#include "rnnlab/run_file.h"
#include "rnnlab/runner.h"
#include "cli/runner_util.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::arg;
using rnnlab::test::builtin_cells;
using rnnlab::test::error_of;
using rnnlab::test::quiet_options;
using rnnlab::test::layer;
using rnnlab::test::temp_dir;
using rnnlab::test::tiny_digits_spec;

namespace {

const ParamSpec* find(const std::vector<ParamSpec>& schema, const std::string& name) {
  for (const auto& p : schema)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("catalog: built-in layers, optimizers, losses, train settings and data sources") {
  Catalog cat(builtin_cells());
  REQUIRE(cat.find_layer("dense"));
  CHECK(find(cat.find_layer("dense")->schema, "units")->required);
  CHECK(find(cat.find_layer("dense")->schema, "activation")->choices ==
        std::vector<std::string>{"none", "tanh", "relu", "sigmoid"});
  CHECK(find(cat.find_layer("dropout")->schema, "p")->max < 1.0);
  REQUIRE(cat.find_layer("embedding"));
  for (const char* o : {"sgd", "momentum", "adam", "rmsprop"}) {
    REQUIRE(cat.find_optimizer(o));
    CHECK(find(cat.find_optimizer(o)->schema, "weight_decay"));
  }
  CHECK(std::get<double>(find(cat.find_optimizer("adam")->schema, "lr")->default_value) == 1e-3);
  CHECK(std::get<double>(find(cat.find_optimizer("rmsprop")->schema, "eps")->default_value) == 1e-7);
  CHECK(std::get<double>(find(cat.find_optimizer("rmsprop")->schema, "rho")->default_value) == 0.9);
  CHECK(cat.losses() == std::vector<std::string>{"softmax_cross_entropy", "mse", "bce_with_logits"});
  for (const char* k : {"loss", "batch", "steps", "epochs", "eval_every", "log_every",
                        "checkpoint_every", "clip", "stateful", "order", "drop_last", "dtype",
                        "threads"})
    CHECK_MESSAGE(find(cat.train_settings(), k), k);
  for (const char* d : {"digits", "csv", "fibonacci"}) CHECK(cat.find_data_source(d));
  CHECK(cat.find_data_source("nope") == nullptr);
  auto names = cat.layer_names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::count(names.begin(), names.end(), "lstm") == 1);
  CHECK(std::count(names.begin(), names.end(), "dense") == 1);
  CHECK_THROWS_AS(cat.add_data_source(*cat.find_data_source("digits")), InputError);
}

TEST_CASE("catalog: data sources build their datasets and splits") {
  Catalog cat(builtin_cells());
  const std::string exp = std::string(RNNLAB_SOURCE_DIR) + "/experiments";
  auto make = [&](const char* name, std::map<std::string, ParamValue> given) {
    const DataSourceType* t = cat.find_data_source(name);
    return t->create(CellConfig::resolve(name, t->entry.schema, given), exp, 1);
  };
  DataSetup digits = make("digits", {});
  CHECK(digits.dataset->size() == 1797);
  CHECK(digits.eval.size() == 359);
  CHECK(digits.train.size() + digits.eval.size() == 1797);

  DataSetup fib = make("fibonacci", {});
  CHECK(fib.dataset->size() == 2000 - 30);
  CHECK(fib.dataset->max_steps() == 30);
  CHECK(fib.eval.size() == 197);
  CHECK(fib.train.back() < fib.eval.front());  // time order kept: last 10% held out
  CHECK(fib.dataset->batch({0}, DType::f32).y_value.shape() == Shape{30, 1, 1});

  DataSetup csv = make("csv", {{"path", std::string("data/seattle-weather-hourly-normals.csv")},
                               {"steps", int64_t{6}},
                               {"standardize", true}});
  CHECK(csv.dataset->size() == 8759 - 6);
  CHECK(csv.dataset->batch({0}, DType::f32).y_value.shape() == Shape{1, 1});
  CHECK(csv.train.back() < csv.eval.front());
  CHECK(error_of([&] { make("csv", {{"path", std::string("nope.csv")}}); }).find("nope.csv") !=
        std::string::npos);
}

TEST_CASE("runner: resolution fills every default and merges per-model overrides") {
  Catalog cat(builtin_cells());
  ExperimentSpec s = tiny_digits_spec();
  s.train.optimizer_args["lr"] = arg(0.01);
  ModelSpec g = s.models[0];
  g.name = "gru";
  g.layers[0].kind = "gru";
  g.train_overrides.settings["epochs"] = arg(int64_t{2});
  g.train_overrides.optimizer = "sgd";
  s.models.push_back(g);

  ExperimentSpec r = resolve_run_spec(s, "lstm", cat);
  REQUIRE(r.models.size() == 1);
  CHECK(std::get<double>(r.models[0].layers[0].args.at("forget_bias").value) == 1.0);
  CHECK(std::get<std::string>(r.models[0].layers[1].args.at("activation").value) == "none");
  CHECK(std::get<double>(r.data.args.at("test_fraction").value) == 0.2);
  CHECK(std::get<double>(r.train.optimizer_args.at("beta2").value) == 0.999);
  CHECK(std::get<double>(r.train.optimizer_args.at("lr").value) == 0.01);
  CHECK(std::get<int64_t>(r.train.settings.at("log_every").value) == 5);
  CHECK(std::get<int64_t>(r.train.settings.at("checkpoint_every").value) == 0);
  TrainConfig c = train_config(r, cat);
  CHECK(c.optimizer.kind == UpdateRule::Kind::adam);
  CHECK(c.optimizer.lr == 0.01);
  CHECK(c.steps == 40);
  CHECK(c.batch == 16);
  CHECK(c.seed == 3);

  ExperimentSpec rg = resolve_run_spec(s, "gru", cat);
  TrainConfig cg = train_config(rg, cat);
  CHECK(cg.epochs == 2);
  CHECK(cg.steps == 0);  // the override of epochs replaces the experiment's steps
  CHECK(cg.optimizer.kind == UpdateRule::Kind::sgd);
  CHECK(cg.optimizer.lr == 0.01);  // sgd's default: adam's lr is not carried over
  CHECK(rg.models[0].train_overrides.settings.empty());
  CHECK(describe_spec(rg).find("optimizer sgd(") != std::string::npos);
}

TEST_CASE("runner: bad specs are InputErrors that name the thing, with did-you-mean") {
  Catalog cat(builtin_cells());
  ExperimentSpec s = tiny_digits_spec();
  s.models[0].layers[0].kind = "lstmm";
  s.models[0].layers[0].loc = SourceLoc{"x.rnn", 4, 17};
  std::string e = error_of([&] { resolve_run_spec(s, "lstm", cat); });
  CHECK(e.find("x.rnn:4:17: unknown layer 'lstmm' (did you mean 'lstm'?)") != std::string::npos);

  s = tiny_digits_spec();
  s.models[0].layers[1].args["units"] = arg(int64_t{0});
  e = error_of([&] { resolve_run_spec(s, "lstm", cat); });
  CHECK(e.find("layer 'dense': parameter 'units': expected an integer >= 1, found 0") !=
        std::string::npos);

  s = tiny_digits_spec();
  s.train.settings["epochs"] = arg(int64_t{3});
  e = error_of([&] { resolve_run_spec(s, "lstm", cat); });
  CHECK(e.find("exactly one of steps and epochs") != std::string::npos);

  s = tiny_digits_spec();
  s.train.optimizer = "adamm";
  CHECK(error_of([&] { resolve_run_spec(s, "lstm", cat); }).find("did you mean 'adam'") !=
        std::string::npos);
  s = tiny_digits_spec();
  s.data.source = "digit";
  CHECK(error_of([&] { resolve_run_spec(s, "lstm", cat); }).find("did you mean 'digits'") !=
        std::string::npos);

  s = tiny_digits_spec();
  CHECK(error_of([&] { apply_setting(s, "train.batchh", int64_t{3}, cat); })
            .find("did you mean 'batch'") != std::string::npos);
  CHECK(error_of([&] { apply_setting(s, "model.lstmm.hidden", int64_t{3}, cat); })
            .find("did you mean 'lstm'") != std::string::npos);
  CHECK_THROWS_AS(apply_setting(s, "seed", std::string("x"), cat), InputError);
  RunOptions o;
  o.models = {"lstn"};
  CHECK(error_of([&] { plan_runs(s, cat, o); }).find("did you mean 'lstm'") != std::string::npos);
}

TEST_CASE("runner: settings keys reach the spec") {
  Catalog cat(builtin_cells());
  ExperimentSpec s = tiny_digits_spec();
  apply_setting(s, "seed", int64_t{9}, cat);
  apply_setting(s, "train.batch", int64_t{8}, cat);
  apply_setting(s, "train.lr", 0.5, cat);
  apply_setting(s, "train.optimizer.beta1", 0.8, cat);
  apply_setting(s, "model.lstm.hidden", int64_t{12}, cat);
  apply_setting(s, "model.lstm.layer1.activation", std::string("tanh"), cat);
  apply_setting(s, "model.lstm.train.log_every", int64_t{2}, cat);
  apply_setting(s, "data.test_fraction", 0.5, cat);
  apply_setting(s, "train.epochs", int64_t{1}, cat);
  CHECK(s.seed == 9);
  CHECK(std::get<int64_t>(s.train.settings.at("batch").value) == 8);
  CHECK(s.train.settings.count("steps") == 0);
  CHECK(std::get<double>(s.train.optimizer_args.at("lr").value) == 0.5);
  CHECK(std::get<double>(s.train.optimizer_args.at("beta1").value) == 0.8);
  CHECK(std::get<int64_t>(s.models[0].layers[0].args.at("hidden").value) == 12);
  CHECK(std::get<std::string>(s.models[0].layers[1].args.at("activation").value) == "tanh");
  CHECK(std::get<int64_t>(s.models[0].train_overrides.settings.at("log_every").value) == 2);
  CHECK(std::get<double>(s.data.args.at("test_fraction").value) == 0.5);
}

TEST_CASE("runner: a sweep is the cartesian product of its axes, with stable ids and paths") {
  Catalog cat(builtin_cells());
  ExperimentSpec s = tiny_digits_spec();
  ModelSpec g = s.models[0];
  g.name = "gru";
  g.layers[0].kind = "gru";
  s.models.push_back(g);
  s.sweep = {SweepAxis{"seed", {int64_t{1}, int64_t{2}}, {}},
             SweepAxis{"model.lstm.hidden", {int64_t{4}, int64_t{6}, int64_t{8}}, {}}};
  std::vector<RunPlan> plans = plan_runs(s, cat, RunOptions{});
  REQUIRE(plans.size() == 6 + 2);  // lstm: 2 x 3; gru: only the seed axis applies
  CHECK(plans[0].name == "lstm-seed=1_hidden=4");
  CHECK(plans[1].name == "lstm-seed=1_hidden=6");
  CHECK(plans[3].name == "lstm-seed=2_hidden=4");
  CHECK(plans[6].name == "gru-seed=1");
  CHECK(plans[0].path == "results/tiny/lstm-seed=1_hidden=4/run.h5");
  CHECK(plans[3].spec.seed == 2);
  CHECK(std::get<int64_t>(plans[4].spec.models[0].layers[0].args.at("hidden").value) == 6);
  CHECK(plans[0].spec.sweep.empty());
  CHECK(plans[0].sweep_id == "seed=1_hidden=4");

  RunOptions only;
  only.models = {"gru"};
  CHECK(plan_runs(s, cat, only).size() == 2);
  s.sweep.push_back(SweepAxis{"seed", {int64_t{1}}, {}});  // two axes writing one key
  s.sweep.back().values = {int64_t{1}, int64_t{1}};
  CHECK_THROWS_AS(plan_runs(s, cat, RunOptions{}), InputError);
}

TEST_CASE("runner: for_each_checked_plan checks each data path once before its first plan") {
  Catalog cat(builtin_cells());
  const std::string dir = temp_dir("checked_plans");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/here.csv.gz") << "x"; }
  ExperimentSpec s = tiny_digits_spec();
  s.source_path = dir + "/tiny.rnn";  // data paths resolve against its folder
  s.data.args["path"] = arg(std::string("here.csv.gz"));
  s.sweep = {SweepAxis{"seed", {int64_t{1}, int64_t{2}, int64_t{3}}, {}}};
  std::vector<std::string> visited;
  for_each_checked_plan(s, cat, RunOptions{}, [&](RunPlan&& p) {
    visited.push_back(p.name);
    std::filesystem::remove(dir + "/here.csv.gz");  // not looked for again: checked once
  });
  CHECK(visited == std::vector<std::string>{"lstm-seed=1", "lstm-seed=2", "lstm-seed=3"});

  { std::ofstream(dir + "/here.csv.gz") << "x"; }
  s.sweep = {SweepAxis{"data.path", {std::string("here.csv.gz"), std::string("gone.csv.gz")}, {}}};
  visited.clear();
  const std::string e = error_of([&] {
    for_each_checked_plan(s, cat, RunOptions{}, [&](RunPlan&& p) { visited.push_back(p.name); });
  });
  CHECK(visited.size() == 1);  // the first run, then the missing file of the second
  CHECK(e.find("data 'digits': path 'gone.csv.gz' does not exist") != std::string::npos);
}

TEST_CASE("runner: a tiny digits run writes a complete run file"
          * doctest::test_suite("integration")) {
  Catalog cat(builtin_cells());
  const std::string out = temp_dir("runner_tiny");
  std::filesystem::remove_all(out + "/tiny");
  RunOptions o = quiet_options(out);
  o.threads = 1;
  std::vector<RunSummary> runs = run_experiment(tiny_digits_spec(40), cat, o);
  REQUIRE(runs.size() == 1);
  const RunSummary& r = runs[0];
  CHECK(r.status == RunState::finished);
  CHECK(r.steps == 40);
  CHECK(r.path == out + "/tiny/lstm/run.h5");
  REQUIRE(r.final_eval);
  CHECK(r.final_eval->examples == 359);

  RunFile f = RunFile::open(r.path);
  for (const char* a : {"rnnlab_version", "git_sha", "experiment", "model", "seed", "backend",
                        "threads", "host", "started_at", "finished_at", "status"})
    CHECK_MESSAGE(f.has_attr(a), a);
  CHECK(f.attr_string("status") == "finished");
  CHECK(f.attr_string("experiment") == "tiny");
  CHECK(f.attr_string("model") == "lstm");
  CHECK(f.attr_string("git_sha") == "test-sha");
  CHECK(f.attr_int("seed") == 3);
  CHECK(f.attr_int("threads") == 1);
  CHECK(f.attr_string("backend") == "cpu");
  CHECK(f.read_text("/config/source") == "# hand-built test spec\n");
  const std::string resolved = f.read_text("/config/resolved");
  CHECK(resolved.find("lstm(forget_bias: 1.0, hidden: 8)") != std::string::npos);
  CHECK(resolved.find("checkpoint_every 0") != std::string::npos);
  CHECK(f.num_rows("metrics") == 8);
  CHECK(f.read_series("metrics", "step").back() == 40);
  CHECK(f.num_rows("eval") == 2);  // steps 20 and 40, no duplicate at the end
  CHECK(f.read_series("eval", "accuracy").back() == doctest::Approx(r.final_eval->accuracy));
  CHECK(f.read_series("metrics", "loss").back() == r.final_train_loss);
  CHECK(f.exists("params/lstm/layer0/lstm/W_x"));
  CHECK(f.exists("params/lstm/layer1/dense/W"));
  CHECK_FALSE(f.exists("checkpoint"));
}

TEST_CASE("runner: per-step targets make the last cell return every step"
          * doctest::test_suite("integration")) {
  Catalog cat(builtin_cells());
  ExperimentSpec s = tiny_digits_spec(6);
  s.data.source = "fibonacci";
  s.data.args = {{"points", arg(int64_t{120})}, {"steps", arg(int64_t{10})}};
  s.models[0].layers = {layer("gru", {{"hidden", arg(int64_t{4})}}),
                        layer("lstm", {{"hidden", arg(int64_t{4})}}),
                        layer("dense", {{"units", arg(int64_t{1})}})};
  s.train.settings["loss"] = arg(std::string("mse"));
  const std::string out = temp_dir("runner_fib");
  RunOptions o = quiet_options(out);
  std::vector<RunSummary> runs = run_experiment(s, cat, o);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunState::finished);
  REQUIRE(runs[0].final_eval);
  CHECK(runs[0].final_eval->accuracy < 0);  // regression: no accuracy

  // The same model with softmax cross-entropy cannot fit per-step targets: InputError before
  // any file is written.
  s.name = "mismatch";
  s.train.settings["loss"] = arg(std::string("softmax_cross_entropy"));
  const std::string e = error_of([&] { run_experiment(s, cat, o); });
  CHECK(e.find("run 'lstm'") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out + "/mismatch"));
}

TEST_CASE("located messages: the file:line:col prefix reads back, other texts do not") {
  for (const std::string file : {"e.rnn", "/a b/c:d/e.rnn", "C:12:x.rnn"}) {
    const SourceLoc loc{file, 12, 7};
    const auto m = split_loc_prefix(loc_prefix(loc) + "data 'csv': path 'x: y' does not exist");
    REQUIRE(m.has_value());
    CHECK(m->loc.file == file);
    CHECK(m->loc.line == 12);
    CHECK(m->loc.column == 7);
    CHECK(m->message == "data 'csv': path 'x: y' does not exist");
  }
  CHECK(loc_prefix(SourceLoc{"e.rnn", 0, 0}) == "e.rnn: ");
  CHECK(loc_prefix(SourceLoc{}) == "");
  CHECK_FALSE(split_loc_prefix("e.rnn: no line").has_value());
  CHECK_FALSE(split_loc_prefix("data.csv:12: a CSV warning with one number").has_value());
  CHECK_FALSE(split_loc_prefix("plain text: with a colon").has_value());
  CHECK_FALSE(split_loc_prefix(":3:4: no file").has_value());
}

TEST_SUITE_END();
