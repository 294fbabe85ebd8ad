// Tests of the .rnn language (dsl/): golden diagnostics for every case in tests/dsl/cases,
// round trips through print(), literals, ranges, positional arguments, includes and --set.
//
// Golden cases: tests/dsl/cases/NAME.rnn with NAME.expect holding the exact rendered
// diagnostics (empty = the file is valid, and then print() must round-trip). Lines
// `#! set KEY=VALUE` in a case are passed as --set overrides. RNNLAB_UPDATE_GOLDEN=1 rewrites
// the .expect files (review every change before committing it).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dsl/test_catalog.h"
#include "rnnlab/dsl/compile.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace rnnlab;
using rnnlab::dsl_test::test_catalog;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Differences between two specs, locations and source text aside ("" when equal).
std::string diff_args(const std::string& where, const ArgMap& a, const ArgMap& b) {
  std::string out;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) out += where + "." + k + " only on the left\n";
    else if (it->second.value != v.value)
      out += where + "." + k + ": " + param_value_str(v.value) + " vs " +
             param_value_str(it->second.value) + "\n";
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) out += where + "." + k + " only on the right\n";
  return out;
}

std::string diff_train(const std::string& where, const TrainSpec& a, const TrainSpec& b) {
  std::string out = diff_args(where, a.settings, b.settings);
  if (a.optimizer != b.optimizer) out += where + ".optimizer differs\n";
  return out + diff_args(where + ".optimizer", a.optimizer_args, b.optimizer_args);
}

std::string diff(const ExperimentSpec& a, const ExperimentSpec& b) {
  std::string out;
  if (a.name != b.name) out += "name\n";
  if (a.seed != b.seed) out += "seed\n";
  if (a.backend != b.backend) out += "backend\n";
  if (a.data.source != b.data.source) out += "data.source\n";
  out += diff_args("data", a.data.args, b.data.args);
  if (a.models.size() != b.models.size()) return out + "number of models\n";
  for (std::size_t i = 0; i < a.models.size(); ++i) {
    const auto &ma = a.models[i], &mb = b.models[i];
    if (ma.name != mb.name) out += "model name " + ma.name + "\n";
    if (ma.layers.size() != mb.layers.size()) {
      out += "layers of " + ma.name + "\n";
      continue;
    }
    for (std::size_t k = 0; k < ma.layers.size(); ++k) {
      if (ma.layers[k].kind != mb.layers[k].kind) out += "layer kind\n";
      out += diff_args(ma.name + ".layer" + std::to_string(k), ma.layers[k].args,
                       mb.layers[k].args);
    }
    out += diff_train(ma.name + ".train", ma.train_overrides, mb.train_overrides);
  }
  out += diff_train("train", a.train, b.train);
  if (a.sweep.size() != b.sweep.size()) return out + "number of sweep axes\n";
  for (std::size_t i = 0; i < a.sweep.size(); ++i)
    if (a.sweep[i].key != b.sweep[i].key || a.sweep[i].values != b.sweep[i].values)
      out += "sweep axis " + a.sweep[i].key + "\n";
  return out;
}

// print -> compile gives the same spec, and printing that again gives the same text.
void check_round_trip(const ExperimentSpec& spec) {
  const std::string text = dsl::print(spec);
  const auto again = dsl::compile_text(text, "printed.rnn", test_catalog());
  INFO("printed:\n" << text << again.rendered);
  REQUIRE(again.ok);
  CHECK(diff(spec, again.spec) == "");
  CHECK(dsl::print(again.spec) == text);
}

// Restores the working directory at scope exit.
struct Cwd {
  fs::path old = fs::current_path();
  explicit Cwd(const fs::path& p) { fs::current_path(p); }
  ~Cwd() { fs::current_path(old); }
};

const char* kBase = R"(experiment t {
  data digits
  train { loss softmax_cross_entropy optimizer adam(lr: 1e-3) batch 16 steps 100 }
)";

dsl::CompileResult compile_body(const std::string& body,
                                const std::vector<std::string>& overrides = {}) {
  return dsl::compile_text(std::string(kBase) + body + "\n}\n", "t.rnn", test_catalog(),
                           overrides);
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("dsl: golden cases") {
  const fs::path dir = fs::path(RNNLAB_SOURCE_DIR) / "tests" / "dsl" / "cases";
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".rnn") cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 40);
  const bool update = std::getenv("RNNLAB_UPDATE_GOLDEN") != nullptr &&
                      std::string(std::getenv("RNNLAB_UPDATE_GOLDEN")) == "1";
  Cwd cwd(dir);
  std::size_t valid = 0;
  for (const auto& path : cases) {
    const std::string name = path.filename().string();
    std::vector<std::string> overrides;
    std::istringstream lines(slurp(path));
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("#! set ", 0) == 0) overrides.push_back(line.substr(7));
    const auto result = dsl::compile_file(name, test_catalog(), overrides);
    fs::path expect = path;
    expect.replace_extension(".expect");
    if (update) {
      std::ofstream(expect, std::ios::binary) << result.rendered;
    } else {
      INFO("case " << name);
      REQUIRE(fs::exists(expect));
      CHECK(result.rendered == slurp(expect));
    }
    INFO("case " << name);
    CHECK(result.ok == result.rendered.empty());
    if (result.ok) {
      ++valid;
      check_round_trip(result.spec);
    }
  }
  CHECK(valid >= 8);
}

TEST_CASE("dsl: the example from the issue compiles to the expected spec") {
  const fs::path dir = fs::path(RNNLAB_SOURCE_DIR) / "tests" / "dsl" / "cases";
  Cwd cwd(dir);
  const auto r = dsl::compile_file("valid_issue_example.rnn", test_catalog());
  INFO(r.rendered);
  REQUIRE(r.ok);
  const auto& s = r.spec;
  CHECK(s.name == "qrnn_vs_lstm_digits");
  CHECK(s.seed == 1);
  CHECK(s.backend == "cpu");
  CHECK(s.data.source == "digits");
  CHECK(std::get<double>(s.data.args.at("test_fraction").value) == 0.2);
  REQUIRE(s.models.size() == 3);
  CHECK(s.models[0].layers[1].kind == "dense");
  CHECK(std::get<int64_t>(s.models[0].layers[1].args.at("units").value) == 10);  // positional
  CHECK(std::get<std::string>(s.models[1].layers[0].args.at("pooling").value) == "fo");
  CHECK(std::get<double>(s.models[2].layers[1].args.at("p").value) == 0.3);
  CHECK(std::get<int64_t>(s.models[2].train_overrides.settings.at("batch").value) == 32);
  CHECK(s.train.optimizer == "adam");
  CHECK(std::get<double>(s.train.optimizer_args.at("lr").value) == 1e-3);
  REQUIRE(s.sweep.size() == 3);
  CHECK(s.sweep[2].key == "model.lstm.hidden");
  CHECK(s.sweep[2].values ==
        std::vector<ParamValue>{int64_t{64}, int64_t{128}, int64_t{192}, int64_t{256}});
  CHECK(s.models[1].layers[0].loc.line > 0);
  CHECK(s.source_text.str().find("included: ") != std::string::npos);  // common.rnn appended
}

TEST_CASE("dsl: literals") {
  const auto r = compile_body(
      R"(model m = lstm(hidden: +12, forget_bias: -2) -> dense(10, activation: tanh)
  sweep { train.clip: [1, 2.5, 1e-3, 1E2] data.path: ["a\"b\\c", plain] train.stateful: [true, false] })");
  INFO(r.rendered);
  REQUIRE(r.ok);
  const auto& l = r.spec.models[0].layers[0].args;
  CHECK(std::get<int64_t>(l.at("hidden").value) == 12);
  CHECK(std::get<double>(l.at("forget_bias").value) == -2.0);  // an integer given for a real
  const auto& sw = r.spec.sweep;
  CHECK(sw[0].values == std::vector<ParamValue>{1.0, 2.5, 1e-3, 100.0});
  CHECK(sw[1].values == std::vector<ParamValue>{std::string("a\"b\\c"), std::string("plain")});
  CHECK(sw[2].values == std::vector<ParamValue>{true, false});
  CHECK(std::get<std::string>(r.spec.models[0].layers[1].args.at("activation").value) == "tanh");
}

TEST_CASE("dsl: ranges") {
  auto axis = [](const std::string& range) {
    const auto r = compile_body("model m = lstm -> dense(10)\n  sweep { train.clip: " + range + " }");
    INFO(r.rendered);
    REQUIRE(r.ok);
    return r.spec.sweep.at(0).values;
  };
  CHECK(axis("1..3") == std::vector<ParamValue>{1.0, 2.0, 3.0});  // clip is real
  CHECK(axis("0.5..1.0 step 0.25") == std::vector<ParamValue>{0.5, 0.75, 1.0});
  CHECK(axis("0.1..0.3 step 0.1").size() == 3);  // the end is kept despite rounding
  CHECK(axis("2") == std::vector<ParamValue>{2.0});
  const auto ints = compile_body("model m = lstm -> dense(10)\n  sweep { train.batch: 16..64 step 16 }");
  REQUIRE(ints.ok);
  CHECK(ints.spec.sweep[0].values ==
        std::vector<ParamValue>{int64_t{16}, int64_t{32}, int64_t{48}, int64_t{64}});
  CHECK(!compile_body("model m = lstm -> dense(10)\n  sweep { train.batch: 5..1 }").ok);
  CHECK(!compile_body("model m = lstm -> dense(10)\n  sweep { train.batch: 1..5 step 0 }").ok);
  CHECK(!compile_body("model m = lstm -> dense(10)\n  sweep { train.batch: 1..100000000 }").ok);
}

TEST_CASE("dsl: positional arguments follow the schema's order") {
  const auto r = compile_body(
      "model m = qrnn(64, 3, ifo) -> dropout(0.25) -> dense(10, relu)\n"
      "  model n = nstep(gru, 2, true, hidden: 32) -> dense(10)");
  INFO(r.rendered);
  REQUIRE(r.ok);
  const auto& q = r.spec.models[0].layers[0].args;
  CHECK(std::get<int64_t>(q.at("hidden").value) == 64);
  CHECK(std::get<int64_t>(q.at("window").value) == 3);
  CHECK(std::get<std::string>(q.at("pooling").value) == "ifo");
  CHECK(std::get<double>(r.spec.models[0].layers[1].args.at("p").value) == 0.25);
  CHECK(std::get<std::string>(r.spec.models[0].layers[2].args.at("activation").value) == "relu");
  const auto& n = r.spec.models[1].layers[0].args;
  CHECK(std::get<std::string>(n.at("cell").value) == "gru");
  CHECK(std::get<bool>(n.at("bidirectional").value) == true);
  CHECK(std::get<int64_t>(n.at("hidden").value) == 32);  // gru's own parameter, via nstep
}

TEST_CASE("dsl: --set overrides") {
  const std::string body = "model lstm = lstm(hidden: 128) -> dense(10)";
  const auto r = compile_body(body, {"train.batch=32", "model.lstm.hidden=64", "seed=3",
                                     "data.path=data/other.csv", "model.lstm.layer1.units = 5",
                                     "train.optimizer.lr=0.5", "train.epochs=2",
                                     "model.lstm.train.batch=8", "backend=cuda"});
  INFO(r.rendered);
  REQUIRE(r.ok);
  const auto& s = r.spec;
  CHECK(std::get<int64_t>(s.train.settings.at("batch").value) == 32);
  CHECK(std::get<int64_t>(s.models[0].layers[0].args.at("hidden").value) == 64);
  CHECK(s.seed == 3);
  CHECK(s.backend == "cuda");
  CHECK(std::get<std::string>(s.data.args.at("path").value) == "data/other.csv");  // bare text
  CHECK(std::get<int64_t>(s.models[0].layers[1].args.at("units").value) == 5);
  CHECK(std::get<double>(s.train.optimizer_args.at("lr").value) == 0.5);
  CHECK(s.train.settings.count("epochs") == 1);
  CHECK(s.train.settings.count("steps") == 0);  // epochs replaced steps
  CHECK(std::get<int64_t>(s.models[0].train_overrides.settings.at("batch").value) == 8);
  CHECK(s.models[0].layers[0].args.at("hidden").loc.file == "<--set>");

  const auto bad = compile_body(body, {"model.lstm.hidden=0", "model.lstm.hiden=3", "nope=1",
                                       "train.batch=[1,2]", "seed", "model.lstm.layer7.x=1"});
  CHECK(!bad.ok);
  CHECK(bad.rendered ==
        "<--set>:1:19: error: lstm parameter 'hidden': expected an integer in [1, 65536], found 0\n"
        "model.lstm.hidden=0\n"
        "                  ^\n"
        "note: 'hidden': hidden units H\n"
        "<--set>:2:12: error: unknown parameter 'hiden' of lstm (layer 0 of model 'lstm')\n"
        "model.lstm.hiden=3\n"
        "           ^\n"
        "note: did you mean 'hidden'?\n"
        "note: known parameters of lstm: forget_bias, hidden\n"
        "<--set>:3:1: error: unknown key 'nope'\n"
        "nope=1\n"
        "^\n"
        "note: keys: seed, backend, data.PARAM, train.PARAM, train.optimizer.PARAM, "
        "model.NAME.PARAM, model.NAME.layerN.PARAM, model.NAME.train.PARAM\n"
        "<--set>:4:13: error: a list is only allowed in a sweep\n"
        "train.batch=[1,2]\n"
        "            ^\n"
        "note: give one value here; sweep { KEY: [a, b] } runs one experiment per value\n"
        "<--set>:5:5: error: expected '=' in KEY=VALUE\n"
        "seed\n"
        "    ^\n"
        "note: e.g. --set train.batch=32\n"
        "<--set>:6:12: error: model 'lstm' has no layer7\n"
        "model.lstm.layer7.x=1\n"
        "           ^\n"
        "note: its layers are layer0..layer1\n");
}

TEST_CASE("dsl: includes resolve against the including file and detect cycles") {
  const fs::path dir = rnnlab::test::fresh_dir("dsl_include");
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "shared.rnn") << "include \"more.rnn\"\ntrain { batch 8 }\n";
  std::ofstream(dir / "sub" / "more.rnn")
      << "data digits\ntrain { loss mse optimizer sgd steps 5 }\n";
  std::ofstream(dir / "main.rnn")
      << "include \"sub/shared.rnn\"\nexperiment e {\n  model m = gru -> dense(1)\n"
         "  train { steps 7 }\n}\n";
  const auto r = dsl::compile_file((dir / "main.rnn").string(), test_catalog());
  INFO(r.rendered);
  REQUIRE(r.ok);
  CHECK(std::get<int64_t>(r.spec.train.settings.at("batch").value) == 8);
  CHECK(std::get<int64_t>(r.spec.train.settings.at("steps").value) == 7);  // main file wins
  CHECK(r.spec.train.optimizer == "sgd");

  std::ofstream(dir / "sub" / "more.rnn") << "include \"shared.rnn\"\n";
  const auto cyc = dsl::compile_file((dir / "main.rnn").string(), test_catalog());
  CHECK(!cyc.ok);
  CHECK(cyc.rendered.find("error: include cycle: ") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("dsl: print gives canonical text") {
  const auto r = compile_body("model m = qrnn(64, pooling: f) -> dense(10)");
  REQUIRE(r.ok);
  CHECK(dsl::print(r.spec) ==
        "experiment t {\n"
        "  seed 1\n"
        "  backend cpu\n"
        "  data digits\n"
        "  model m = qrnn(hidden: 64, pooling: f) -> dense(units: 10)\n"
        "  train { loss softmax_cross_entropy optimizer adam(lr: 0.001) batch 16 steps 100 }\n"
        "}\n");
  check_round_trip(r.spec);
}

TEST_CASE("dsl: errors are capped and in source order") {
  std::string body;
  for (int i = 0; i < 30; ++i) body += "model m" + std::to_string(i) + " = lstn -> dense(10)\n";
  const auto r = compile_body(body);
  CHECK(r.diagnostics.size() == 20);
  CHECK(r.rendered.find("(10 more errors not shown)") != std::string::npos);
  for (std::size_t i = 1; i < r.diagnostics.size(); ++i)
    CHECK(r.diagnostics[i - 1].loc.line <= r.diagnostics[i].loc.line);
}

TEST_CASE("dsl: a missing file is a diagnostic, not an exception") {
  const auto r = dsl::compile_file("/nonexistent/x.rnn", test_catalog());
  CHECK(!r.ok);
  CHECK(r.rendered == "/nonexistent/x.rnn: error: cannot open /nonexistent/x.rnn\n");
}

TEST_CASE("dsl: non-ASCII bytes: fine in comments and strings, an error elsewhere") {
  const auto ok = compile_body("# température °C\n  model m = lstm -> dense(10)\n"
                               "  sweep { data.path: [\"données.csv.gz\"] }");
  INFO(ok.rendered);
  REQUIRE(ok.ok);
  CHECK(std::get<std::string>(ok.spec.sweep[0].values[0]) == "données.csv.gz");
  const auto bad = compile_body("  model m = lstm -> dénse(10)");
  CHECK(!bad.ok);
  CHECK(bad.rendered.find("found a non-ASCII or control character") != std::string::npos);
}

TEST_SUITE_END();
