// The step compiler (rnnlab/step_compiler.h): which path runs, the fallback with its reason,
// the program cache, every supported op through a test cell (conformance: gradient check and
// compiled == composed to 1e-12), f32 agreement and the CUDA C emission.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "builtin_plugins.h"
#include "cli/runner_util.h"
#include "rnnlab/catalog.h"
#include "rnnlab/conformance.h"
#include "rnnlab/recurrent.h"
#include "rnnlab/run_file.h"
#include "rnnlab/runner.h"
#include "rnnlab/step_compiler.h"
#include "step_compiler_test_cells.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::builtin_step_cells;
using rnnlab::test::test_cells;

namespace {

struct TestLayer {
  ParameterStore params;
  std::unique_ptr<Recurrent> rnn;
  TestLayer(const CellRegistry& r, const std::string& cell, RecurrentPath path, DType dt,
        int64_t input = 3, int64_t hidden = 5)
      : params(Device::cpu, dt) {
    Rng rng(7);
    rnn = std::make_unique<Recurrent>(
        r.create(cell, {{"hidden", ParamValue{hidden}}}, input, params, "t/" + cell, rng),
        Recurrent::Options{false, true, path});
  }
};

Tensor rand_tensor(const Shape& s, DType dt, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(shape_numel(s)));
  for (double& e : v) e = rng.uniform(-1, 1);
  return to_dtype(from_vector(v, s), dt);
}

// Forward + backward of Σ outputs² ; returns outputs and every parameter gradient.
std::vector<Tensor> pass(TestLayer& l, const Tensor& x, const std::vector<int32_t>& lengths,
                         std::size_t* tape_size = nullptr) {
  Tape t;
  l.params.zero_grad();
  Recurrent::Output o = l.rnn->forward(t, t.constant(x), lengths, {true, 5, false});
  t.backward(sum(square(o.outputs)));
  if (tape_size) *tape_size = t.size();
  std::vector<Tensor> r{clone(o.outputs.value())};
  for (const auto& p : l.params.all()) r.push_back(clone(p->grad));
  return r;
}

double max_rel(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = to_vector<double>(to_dtype(a[i], DType::f64));
    const auto y = to_vector<double>(to_dtype(b[i], DType::f64));
    for (std::size_t j = 0; j < x.size(); ++j)
      m = std::max(m, std::fabs(x[j] - y[j]) / std::max(1.0, std::fabs(x[j])));
  }
  return m;
}

const ConformanceCheck* find_check(const ConformanceReport& r, const std::string& name) {
  for (const ConformanceCheck& c : r.checks)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("step compiler: cells without a kernel run compiled by default and with one fused, both "
          "paths can be forced") {
  const CellRegistry& r = builtin_cells();
  const Tensor x = rand_tensor({6, 4, 3}, DType::f32, 1);
  for (const char* cell : {"indrnn", "sru", "mingru", "minlstm"}) {
    TestLayer l(r, cell, RecurrentPath::automatic, DType::f32);
    std::size_t compiled_nodes = 0, composed_nodes = 0;
    const auto a = pass(l, x, {6, 5, 2, 1}, &compiled_nodes);
    CHECK(l.rnn->path_used() == "compiled");
    CHECK(l.rnn->path_note().empty());
    TestLayer c(r, cell, RecurrentPath::composed, DType::f32);
    const auto b = pass(c, x, {6, 5, 2, 1}, &composed_nodes);
    CHECK(c.rnn->path_used() == "composed");
    CHECK(compiled_nodes < composed_nodes);
    CHECK(max_rel(a, b) < 1e-5);  // f32: same maths, different summation order
  }
  TestLayer fused(r, "lstm", RecurrentPath::automatic, DType::f32);
  pass(fused, x, {});
  CHECK(fused.rnn->path_used() == "fused");
  TestLayer forced(r, "lstm", RecurrentPath::compiled, DType::f32);
  pass(forced, x, {});
  CHECK(forced.rnn->path_used() == "compiled");
  TestLayer asked(r, "indrnn", RecurrentPath::fused, DType::f32);
  pass(asked, x, {});
  CHECK(asked.rnn->path_used() == "compiled");
  CHECK(asked.rnn->path_note() == "no fused kernel for this device");
}

TEST_CASE("step compiler: a step it cannot compile falls back to composed with a one-line reason") {
  const CellRegistry& r = test_cells();
  TestLayer l(r, "reducing", RecurrentPath::compiled, DType::f64);
  pass(l, rand_tensor({4, 2, 3}, DType::f64, 2), {});
  CHECK(l.rnn->path_used() == "composed");
  CHECK(l.rnn->path_note().find("not compiled: step uses an op the compiler does not know") == 0);
  CHECK(l.rnn->path_note().find('\n') == std::string::npos);
  CHECK(compile_check(r, "reducing").find("does not know") != std::string::npos);
  CHECK(compile_check(r, "kitchen_sink").empty());
  const ConformanceReport rep = run_conformance(r, "reducing", {});
  INFO(conformance_table(rep));
  CHECK(rep.passed());
  REQUIRE(find_check(rep, "compiled == composed"));
  CHECK(find_check(rep, "compiled == composed")->detail.find("skipped: not compiled") == 0);
  // A parameter both a GEMM operand and an elementwise one: refused by the lowering.
  CHECK(compile_check(r, "shared_bias").find("both in a matmul and elementwise") !=
        std::string::npos);
  CHECK(run_conformance(r, "shared_bias", {}).passed());
}

TEST_CASE("step compiler: every supported op conforms (gradient check, compiled == composed to "
          "1e-12 with masks, stateful carry and a dropout seed)"
          * doctest::test_suite("gradcheck")) {
  const ConformanceReport rep = run_conformance(test_cells(), "kitchen_sink", {});
  INFO(conformance_table(rep));
  CHECK(rep.passed());
  for (const char* name : {"gradient (compiled)", "compiled == composed"}) {
    const ConformanceCheck* c = find_check(rep, name);
    REQUIRE(c);
    CHECK(c->detail.find("skipped") == std::string::npos);
  }
  CHECK(find_check(rep, "compiled == composed")->detail.find("3 levels, 2 GEMMs") !=
        std::string::npos);
}

TEST_CASE("step compiler: a row reduction is an instruction of its region, so the layer-normalised "
          "cells compile to one GEMM level") {
  for (const char* cell : {"lnlstm", "lngru"}) {
    std::string program;
    CHECK(compile_check(builtin_cells(), cell, {}, &program).empty());
    INFO(cell << ": " << program);
    CHECK(program.rfind("2 levels, 1 GEMM, ", 0) == 0);
  }
}

TEST_CASE("step compiler: traces and programs are cached and a new batch size or mask lowers "
          "again") {
  const CellRegistry& r = builtin_cells();
  TestLayer l(r, "sru", RecurrentPath::automatic, DType::f32);
  const Tensor x = rand_tensor({5, 3, 3}, DType::f32, 3);
  pass(l, x, {});
  pass(l, x, {});
  REQUIRE(l.rnn->compiler());
  CHECK(l.rnn->compiler()->stats().traces == 1);  // no constants: the trace is reused
  CHECK(l.rnn->compiler()->stats().compiles == 1);
  pass(l, x, {5, 4, 1});  // masked: another program
  CHECK(l.rnn->compiler()->stats().compiles == 2);
  pass(l, rand_tensor({5, 2, 3}, DType::f32, 4), {});
  CHECK(l.rnn->compiler()->stats().compiles == 3);
  CHECK(l.rnn->compiler()->stats().program.find("diagonal") == 0);
}

TEST_CASE("step compiler: CUDA C is emitted for every compilable built-in cell"
          * doctest::test_suite("cuda")) {
  const CellRegistry& r = builtin_cells();
  for (const std::string& name : builtin_step_cells()) {
    const char* cell = name.c_str();
    std::string why;
    const std::string src = emit_cuda_step(r, cell, {}, &why);
    INFO(cell << ": " << why);
    REQUIRE(!src.empty());
    CHECK(src.find(std::string("extern \"C\" __global__ void ") + cell + "_L0_fwd") !=
          std::string::npos);
    CHECK(src.find(std::string(cell) + "_L0_bwd") != std::string::npos);
    CHECK(std::count(src.begin(), src.end(), '{') == std::count(src.begin(), src.end(), '}'));
  }
  std::string why;
  CHECK(emit_cuda_step(test_cells(), "reducing", {}, &why).empty());
  CHECK(!why.empty());
}

TEST_CASE("step compiler: nstep stacks the composed-only cells, each layer and direction compiled"
          * doctest::test_suite("gradcheck")) {
  const CellRegistry& r = builtin_cells();
  for (const char* cell : {"indrnn", "sru", "mingru", "minlstm"}) {
    const ConformanceReport rep = run_conformance(
        r, "nstep", {{"cell", std::string(cell)}, {"layers", int64_t{2}}, {"bidirectional", true}});
    INFO(conformance_table(rep));
    CHECK(rep.passed());
    // nstep's fused: true runs its inner layers on the automatic path (compiled here), fused:
    // false composed; its "fused == composed" check compares the two.
    const ConformanceCheck* c = find_check(rep, "fused == composed");
    REQUIRE(c);
    CHECK(c->detail.find("skipped") == std::string::npos);
  }
}

TEST_CASE("step compiler: the train setting path chooses it per model and the run file records "
          "each recurrent layer's path" * doctest::test_suite("integration")) {
  Catalog cat(builtin_cells());
  const std::string out = rnnlab::test::temp_dir("step_compiler_paths");
  std::filesystem::remove_all(out + "/tiny");
  RunOptions o;
  o.out_dir = out;
  o.quiet = true;
  o.git_sha = "test-sha";
  o.threads = 1;
  ExperimentSpec s = rnnlab::test::tiny_digits_spec(10);
  s.models[0].name = "sru";
  s.models[0].layers[0] = rnnlab::test::layer("sru", {{"hidden", rnnlab::test::arg(int64_t{8})}});
  ModelSpec composed = s.models[0];
  composed.name = "sru_composed";
  composed.train_overrides.settings["path"] = rnnlab::test::arg(std::string("composed"));
  ModelSpec lstm = s.models[0];
  lstm.name = "lstm_compiled";
  lstm.layers[0] = rnnlab::test::layer("lstm", {{"hidden", rnnlab::test::arg(int64_t{8})}});
  lstm.train_overrides.settings["path"] = rnnlab::test::arg(std::string("compiled"));
  s.models = {s.models[0], composed, lstm};
  const std::vector<RunSummary> runs = run_experiment(s, cat, o);
  REQUIRE(runs.size() == 3);
  std::vector<std::string> paths;
  for (const RunSummary& r : runs) {
    CHECK(r.status == RunState::finished);
    paths.push_back(RunFile::open(r.path, false).attr_string("recurrent_paths"));
  }
  CHECK(paths == std::vector<std::string>{"layer0=compiled", "layer0=composed", "layer0=compiled"});
  // the same data, seed and maths: compiled and composed train to the same loss
  CHECK(runs[0].final_train_loss == doctest::Approx(runs[1].final_train_loss).epsilon(1e-4));
}

TEST_CASE("step compiler: a step that captures constants is traced again for each batch seed") {
  TestLayer l(test_cells(), "kitchen_sink", RecurrentPath::compiled, DType::f64);
  const Tensor x = rand_tensor({4, 3, 3}, DType::f64, 9);
  auto run = [&](uint64_t seed) {
    Tape t;
    return clone(l.rnn->forward(t, t.constant(x), {}, {true, seed, false}).outputs.value());
  };
  const Tensor a = run(1), b = run(2), c = run(1);
  CHECK(l.rnn->compiler()->stats().traces == 2);  // seed 1, seed 2; seed 1 again is cached
  CHECK(l.rnn->compiler()->stats().compiles == 1);  // one structure
  CHECK(to_vector<double>(a) == to_vector<double>(c));
  CHECK(to_vector<double>(a) != to_vector<double>(b));  // another dropout mask
}

TEST_SUITE_END();
