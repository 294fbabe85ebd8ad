// Spec keys (rnnlab/spec_keys.h): every key form, valid and invalid, through both paths a key
// takes, which must agree:
//   check   the .rnn compiler: `--set KEY=VALUE` (dsl::compile_text with overrides, what
//           `rnnlab check --set` runs) and a sweep axis `sweep { KEY: [VALUE] }`
//   run     the runner: apply_setting then resolve_run_spec (what a sweep point goes through in
//           `rnnlab run`), and plan_runs over a sweep axis
// A valid key changes the same value in both (written as the flattened change, e.g.
// "-train.steps train.epochs=2"), and a run with the key as a sweep axis resolves to the same
// spec as a run with it as --set. An invalid key (or value) is rejected by both with the same
// message core, and the compiler puts its diagnostic at the bad part's column.
#include <doctest/doctest.h>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "dsl/test_catalog.h"
#include "rnnlab/dsl/compile.h"
#include "rnnlab/runner.h"
#include "rnnlab/spec_keys.h"

using namespace rnnlab;
using rnnlab::dsl_test::test_catalog;

namespace {

const char* kBody =
    "  data digits\n"
    "  model m = lstm(hidden: 16) -> dense(10)\n"
    "  model g = gru(hidden: 8) -> dropout(p: 0.1) -> dense(10) { batch 4 }\n"
    "  train { loss softmax_cross_entropy optimizer adam(lr: 0.001) batch 16 steps 100 }\n";

std::string experiment_text(const std::string& sweep = "") {
  return "experiment t {\n" + std::string(kBody) + sweep + "}\n";
}

// Every value of a spec as "path=value" (the paths read like keys).
std::map<std::string, std::string> flatten(const ExperimentSpec& s) {
  std::map<std::string, std::string> out;
  auto args = [&](const std::string& at, const ArgMap& a) {
    for (const auto& [k, v] : a) out[at + "." + k] = param_value_str(v.value);
  };
  auto train = [&](const std::string& at, const TrainSpec& t) {
    args(at, t.settings);
    if (!t.optimizer.empty()) out[at + ".optimizer"] = t.optimizer;
    args(at + ".optimizer", t.optimizer_args);
  };
  out["seed"] = std::to_string(s.seed);
  out["backend"] = s.backend;
  args("data", s.data.args);
  train("train", s.train);
  for (const auto& m : s.models) {
    for (std::size_t i = 0; i < m.layers.size(); ++i)
      args("model." + m.name + ".layer" + std::to_string(i), m.layers[i].args);
    train("model." + m.name + ".train", m.train_overrides);
  }
  return out;
}

// What changed from `a` to `b`: "-path" for a removed value, "path=value" for a new one.
std::string change(const ExperimentSpec& a, const ExperimentSpec& b) {
  const auto fa = flatten(a), fb = flatten(b);
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
  for (const auto& [k, v] : fa)
    if (!fb.count(k)) add("-" + k);
  for (const auto& [k, v] : fb)
    if (!fa.count(k) || fa.at(k) != v) add(k + "=" + v);
  return out;
}

ExperimentSpec compiled(const std::vector<std::string>& set = {}, const std::string& sweep = "") {
  const auto r = dsl::compile_text(experiment_text(sweep), "t.rnn", test_catalog(), set);
  INFO(r.rendered);
  REQUIRE(r.ok);
  return r.spec;
}

struct Row {
  std::string key;
  std::string value_text;  // as written after '=' (a sweep quotes strings)
  ParamValue value;        // what the runner gets
  std::string lands;       // valid: the change it makes; invalid: ""
  std::string error;       // invalid: the message core both report
  int column = 0;          // a key error: the diagnostic's column in `KEY=VALUE` (1-based)
};

// clang-format off
const std::vector<Row> kRows = {
  // ---- valid: one row per form
  {"seed", "5", int64_t{5}, "seed=5", "", 0},
  {"backend", "cuda", std::string("cuda"), "backend=cuda", "", 0},
  {"data.test_fraction", "0.5", 0.5, "data.test_fraction=0.5", "", 0},
  {"data.path", "data/other.csv", std::string("data/other.csv"), "data.path=data/other.csv", "", 0},
  {"train.batch", "32", int64_t{32}, "train.batch=32", "", 0},
  {"train.loss", "mse", std::string("mse"), "train.loss=mse", "", 0},
  {"train.epochs", "2", int64_t{2}, "-train.steps train.epochs=2", "", 0},
  {"train.optimizer", "sgd", std::string("sgd"), "-train.optimizer.lr train.optimizer=sgd", "", 0},
  {"train.optimizer", "adam", std::string("adam"), "", "", 0},  // the same one: arguments kept
  {"train.optimizer.lr", "0.5", 0.5, "train.optimizer.lr=0.5", "", 0},
  {"optimizer.beta1", "0.8", 0.8, "train.optimizer.beta1=0.8", "", 0},
  {"train.lr", "0.5", 0.5, "train.optimizer.lr=0.5", "", 0},
  {"model.m.hidden", "64", int64_t{64}, "model.m.layer0.hidden=64", "", 0},
  {"model.m.layer1.units", "3", int64_t{3}, "model.m.layer1.units=3", "", 0},
  {"model.m.1.units", "3", int64_t{3}, "model.m.layer1.units=3", "", 0},
  {"model.m.dense.activation", "tanh", std::string("tanh"), "model.m.layer1.activation=tanh", "", 0},
  {"model.g.dropout.p", "0.2", 0.2, "model.g.layer1.p=0.2", "", 0},
  {"model.g.train.batch", "8", int64_t{8}, "model.g.train.batch=8", "", 0},
  {"model.g.train.epochs", "1", int64_t{1}, "model.g.train.epochs=1", "", 0},
  {"model.g.train.loss", "mse", std::string("mse"), "model.g.train.loss=mse", "", 0},
  {"model.g.train.optimizer", "sgd", std::string("sgd"), "model.g.train.optimizer=sgd", "", 0},
  {"model.g.train.optimizer.lr", "0.1", 0.1, "model.g.train.optimizer.lr=0.1", "", 0},
  {"model.g.train.lr", "0.1", 0.1, "model.g.train.optimizer.lr=0.1", "", 0},
  // ---- invalid keys
  {"sed", "1", int64_t{1}, "", "unknown key 'sed'", 1},
  {"seed.x", "1", int64_t{1}, "", "unknown key 'seed.x'", 1},
  {"optimizer", "1", int64_t{1}, "", "unknown key 'optimizer'", 1},
  {"train.bach", "1", int64_t{1}, "", "unknown train setting 'bach'", 7},
  {"train.momentum", "0.5", 0.5, "", "unknown train setting 'momentum'", 7},  // not adam's
  {"train.optimizer.l", "0.1", 0.1, "", "unknown parameter 'l' of optimizer 'adam'", 17},
  {"optimizer.momentum", "0.5", 0.5, "", "unknown parameter 'momentum' of optimizer 'adam'", 11},
  {"train.optimizer.lr.x", "1", int64_t{1}, "", "unknown key", 1},
  {"data.pth", "1", int64_t{1}, "", "unknown parameter 'pth' of data source 'digits'", 6},
  {"model.m", "1", int64_t{1}, "", "unknown key", 1},
  {"model.x.hidden", "3", int64_t{3}, "", "unknown model 'x'", 7},
  {"model.m.hiden", "3", int64_t{3}, "", "unknown parameter 'hiden' of lstm (layer 0 of model 'm')", 9},
  {"model.m.layer5.units", "3", int64_t{3}, "", "model 'm' has no layer5", 9},
  {"model.m.7.units", "3", int64_t{3}, "", "model 'm' has no layer 7", 9},
  {"model.m.gru.hidden", "3", int64_t{3}, "", "unknown key part 'gru'", 9},
  {"model.m.dense.unit", "3", int64_t{3}, "", "unknown parameter 'unit' of dense (layer 1 of model 'm')", 15},
  {"model.m.layer0.hidden.x", "1", int64_t{1}, "", "unknown key part 'x'", 23},
  {"model.g.train.bach", "1", int64_t{1}, "", "unknown train setting 'bach'", 15},
  {"model.g.train.optimizer.rho", "0.5", 0.5, "", "unknown parameter 'rho' of optimizer 'adam'", 25},
  // ---- invalid values (keys fine)
  {"seed", "-1", int64_t{-1}, "", "expected an integer >= 0, found -1", 0},
  {"backend", "tpu", std::string("tpu"), "", "found 'tpu'", 0},
  {"train.optimizer", "adamw", std::string("adamw"), "", "found 'adamw'", 0},
  {"train.batch", "0", int64_t{0}, "", "expected an integer >= 1, found 0", 0},
  {"model.m.hidden", "0", int64_t{0}, "", "expected an integer in [1, 65536], found 0", 0},
};
// clang-format on

std::string row_name(const Row& r) { return r.key + "=" + r.value_text; }

// A key a sweep block can hold (the grammar's names: no part starting with a digit).
bool sweep_writable(const std::string& key) {
  for (std::size_t i = 0; i < key.size(); ++i)
    if ((i == 0 || key[i - 1] == '.') && std::isdigit(static_cast<unsigned char>(key[i])))
      return false;
  return true;
}

std::string sweep_literal(const Row& r) {
  return std::holds_alternative<std::string>(r.value) ? "\"" + r.value_text + "\"" : r.value_text;
}

// The runner's path for one setting: apply_setting, then every model's run spec.
std::string run_error(ExperimentSpec s, const Row& r, ExperimentSpec* applied = nullptr) {
  try {
    apply_setting(s, r.key, r.value, test_catalog());
    for (const auto& m : s.models) resolve_run_spec(s, m.name, test_catalog());
  } catch (const InputError& e) {
    return e.what();
  }
  if (applied) *applied = s;
  return "";
}

// The resolved run spec of `model` in a run of `spec` (its one plan, or the plan of the sweep).
ExperimentSpec planned(const ExperimentSpec& spec, const std::string& model) {
  RunOptions o;
  o.models = {model};
  const auto plans = plan_runs(spec, test_catalog(), o);
  REQUIRE(plans.size() == 1);
  return plans[0].spec;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("spec keys: every key form means the same in check (--set and sweep) and run") {
  const ExperimentSpec base = compiled();
  for (const Row& r : kRows) {
    INFO("row " << row_name(r));
    const auto set = dsl::compile_text(experiment_text(), "t.rnn", test_catalog(), {row_name(r)});
    ExperimentSpec applied;
    const std::string run_err = run_error(base, r, &applied);
    const bool writable = sweep_writable(r.key);
    const std::string sweep_block =
        "  sweep {\n    " + r.key + ": [" + sweep_literal(r) + "]\n  }\n";
    const auto swept = writable ? dsl::compile_text(experiment_text(sweep_block), "t.rnn",
                                                    test_catalog())
                                : dsl::CompileResult{};
    if (r.error.empty()) {
      INFO(set.rendered << run_err << swept.rendered);
      REQUIRE(set.ok);
      REQUIRE(run_err.empty());
      CHECK(change(base, set.spec) == r.lands);
      CHECK(change(base, applied) == r.lands);
      if (!writable) continue;
      REQUIRE(swept.ok);
      // `run` with the key as a sweep axis == `run` with it as --set, for the model it concerns.
      const std::string model = r.key.rfind("model.", 0) == 0 ? r.key.substr(6, 1) : "m";
      CHECK(change(planned(set.spec, model), planned(swept.spec, model)) == "");
      continue;
    }
    // Rejected by both, with the same message core.
    REQUIRE(!set.ok);
    REQUIRE(!set.diagnostics.empty());
    const dsl::Diagnostic& d = set.diagnostics.front();
    CHECK(d.message.find(r.error) != std::string::npos);
    CHECK(run_err.find(r.error) != std::string::npos);
    if (r.column > 0) {
      CHECK(d.loc.file == "<--set>");
      CHECK(d.loc.column == r.column);
      CHECK(run_err.find("setting '" + r.key + "': " + d.message) != std::string::npos);
    }
    if (!writable) continue;
    REQUIRE(!swept.ok);
    CHECK(swept.diagnostics.front().message.find(r.error) != std::string::npos);
    if (r.column > 0) CHECK(swept.diagnostics.front().loc.column == 4 + r.column);
    ExperimentSpec with_axis = base;
    with_axis.sweep = {SweepAxis{r.key, {r.value}, {}}};
    std::string plan_err;
    try {
      RunOptions o;
      plan_runs(with_axis, test_catalog(), o);
    } catch (const InputError& e) {
      plan_err = e.what();
    }
    CHECK(plan_err.find(r.error) != std::string::npos);
  }
}

TEST_CASE("spec keys: a KeyError gives the bad part's offset and did-you-mean notes") {
  ExperimentSpec s = compiled();
  const KeyResolution r = resolve_key(s, "model.m.hiden", test_catalog());
  REQUIRE(r.error);
  CHECK(!r.target);
  CHECK(r.error->offset == 8);
  REQUIRE(r.error->notes.size() == 2);
  CHECK(r.error->notes[0] == "did you mean 'hidden'?");
  CHECK(r.error->notes[1] == "known parameters of lstm: forget_bias, hidden");
  CHECK(key_error_text("model.m.hiden", *r.error) ==
        "setting 'model.m.hiden': unknown parameter 'hiden' of lstm (layer 0 of model 'm') "
        "(did you mean 'hidden'?; known parameters of lstm: forget_bias, hidden)");

  const KeyResolution ok = resolve_key(s, "model.g.dropout.p", test_catalog());
  REQUIRE(ok.target);
  CHECK(ok.target->args == &s.models[1].layers[1].args);
  CHECK(ok.target->name == "p");
  REQUIRE(ok.target->spec);
  CHECK(ok.target->spec->type == ParamType::real);
}

TEST_CASE("spec keys: the train block's rules") {
  TrainSpec t;
  t.settings["steps"] = ArgSpec{int64_t{10}, {}};
  drop_replaced_length(t.settings, "epochs");
  CHECK(t.settings.count("steps") == 0);

  t.optimizer = "adam";
  t.optimizer_args["lr"] = ArgSpec{0.1, {}};
  set_optimizer(t, "adam", {});
  CHECK(t.optimizer_args.count("lr") == 1);  // the same one keeps its arguments
  set_optimizer(t, "sgd", {});
  CHECK(t.optimizer_args.empty());  // another drops them

  TrainSpec base, over;
  base.settings["steps"] = ArgSpec{int64_t{10}, {}};
  base.optimizer = "adam";
  base.optimizer_args["beta1"] = ArgSpec{0.8, {}};
  over.settings["epochs"] = ArgSpec{int64_t{2}, {}};
  over.optimizer = "adam";
  over.optimizer_args["lr"] = ArgSpec{0.5, {}};
  int written = 0;
  merge_train(base, over, [&](ArgSpec&, const ArgSpec&) { ++written; });
  CHECK(written == 2);
  CHECK(base.settings.count("steps") == 0);
  CHECK(base.settings.count("epochs") == 1);
  CHECK(base.optimizer_args.size() == 2);  // the same optimizer: arguments merge
}

TEST_CASE("spec keys: one printer: dsl::print is describe_spec, and its text compiles back") {
  const ExperimentSpec s = compiled({"model.g.train.optimizer=sgd", "data.path=a b/c.csv"});
  CHECK(dsl::print(s) == describe_spec(s));
  const auto again = dsl::compile_text(describe_spec(s), "again.rnn", test_catalog());
  INFO(again.rendered);
  REQUIRE(again.ok);
  CHECK(change(s, again.spec) == "");
}

TEST_SUITE_END();
