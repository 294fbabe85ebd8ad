// The step compiler's parallel scan of linear recurrences (src/compiler/scan.h): which steps it
// detects and why it declines the others, scan == composed in f64 (conformance: masks, the
// stateful carry, every gradient; and a long sequence split into many chunks), f32 agreement
// with the plain compiled path, and the path it reports.
#include <doctest/doctest.h>

#include <cmath>

#include "builtin_plugins.h"
#include "compiler/scan.h"
#include "rnnlab/conformance.h"
#include "rnnlab/recurrent.h"
#include "rnnlab/step_compiler.h"
#include "step_compiler_test_cells.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::test_cells;

namespace {

using Params = std::map<std::string, ParamValue>;

const ConformanceCheck* find_check(const ConformanceReport& r, const std::string& name) {
  for (const ConformanceCheck& c : r.checks)
    if (c.name == name) return &c;
  return nullptr;
}

struct Layer {
  ParameterStore params;
  std::unique_ptr<Recurrent> rnn;
  Layer(const CellRegistry& r, const std::string& cell, const Params& extra, RecurrentPath path,
        DType dt, int64_t hidden = 5)
      : params(Device::cpu, dt) {
    Rng rng(7);
    Params p = extra;
    p["hidden"] = ParamValue{hidden};
    rnn = std::make_unique<Recurrent>(r.create(cell, p, 3, params, "s/" + cell, rng),
                                      Recurrent::Options{false, true, path});
    // Every parameter perturbed: zero biases would hide a dropped term.
    uint64_t seed = 40;
    for (const auto& prm : params.all()) {
      Rng pr(++seed);
      std::vector<double> v(static_cast<std::size_t>(prm->value.numel()));
      for (double& e : v) e = pr.uniform(-0.6, 0.6);
      prm->value = to_dtype(from_vector(v, prm->value.shape()), dt);
    }
  }
};

Tensor rand_tensor(const Shape& s, DType dt, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(shape_numel(s)));
  for (double& e : v) e = rng.uniform(-1, 1);
  return to_dtype(from_vector(v, s), dt);
}

// Forward + backward of a fixed random weighting of the outputs and final states, from a
// random initial state given as a leaf: outputs, final states, dx, ds0, every parameter
// gradient.
std::vector<Tensor> pass(Layer& l, const Tensor& x, const std::vector<int32_t>& lengths) {
  Tape t;
  l.params.zero_grad();
  Var xv = t.leaf(x);
  std::vector<Var> s0;
  uint64_t seed = 60;
  for (const StateSpec& s : l.rnn->cell().state_specs())
    s0.push_back(t.leaf(rand_tensor({x.dim(1), s.size}, x.dtype(), ++seed)));
  Recurrent::Output o = l.rnn->forward(t, xv, lengths, {true, 5, false}, s0);
  Var loss = sum(mul(o.outputs, t.constant(rand_tensor(o.outputs.shape(), x.dtype(), 90))));
  for (std::size_t k = 0; k < o.final_state.size(); ++k)
    loss = add(loss, sum(mul(o.final_state[k],
                             t.constant(rand_tensor(o.final_state[k].shape(), x.dtype(), 91 + k)))));
  t.backward(loss);
  // A gradient that never arrived is zeros (and then differs from one that did).
  auto grad = [](const Tensor& g, const Shape& s, DType dt) {
    return g.defined() ? clone(g) : zeros(s, dt);
  };
  std::vector<Tensor> r{clone(o.outputs.value())};
  for (const Var& s : o.final_state) r.push_back(clone(s.value()));
  r.push_back(grad(t.grad(xv), x.shape(), x.dtype()));
  for (const Var& s : s0) r.push_back(grad(t.grad(s), s.shape(), x.dtype()));
  for (const auto& p : l.params.all()) r.push_back(grad(p->grad, p->value.shape(), x.dtype()));
  return r;
}

// max |a - b| / max(1, |a|) over all pairs; NaN counts as infinitely far.
double max_rel(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = to_vector<double>(to_dtype(a[i], DType::f64));
    const auto y = to_vector<double>(to_dtype(b[i], DType::f64));
    REQUIRE(x.size() == y.size());
    for (std::size_t j = 0; j < x.size(); ++j) {
      const double d = std::fabs(x[j] - y[j]) / std::max(1.0, std::fabs(x[j]));
      if (!(d <= m)) m = std::isnan(d) ? INFINITY : d;
    }
  }
  return m;
}

// The linear recurrences: (registry, cell, parameters).
struct Scannable {
  const CellRegistry* reg;
  std::string cell;
  Params params;
};
std::vector<Scannable> scannable() {
  return {{&builtin_cells(), "mingru", {}},
          {&builtin_cells(), "minlstm", {}},
          {&builtin_cells(), "qrnn", {{"pooling", std::string("f")}}},
          {&builtin_cells(), "qrnn", {{"pooling", std::string("fo")}}},
          {&builtin_cells(), "qrnn", {{"pooling", std::string("ifo")}, {"window", int64_t{1}}}},
          {&test_cells(), "sru2017", {}},
          {&test_cells(), "affine_sink", {}}};
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("step compiler scan: it names the states it scans and why it declines the others") {
  const CellRegistry& r = builtin_cells();
  CHECK(scan_check(r, "mingru") == "scan: h = a ⊙ h + b");
  CHECK(scan_check(r, "minlstm") == "scan: h = a ⊙ h + b");
  CHECK(scan_check(r, "qrnn", {{"pooling", std::string("f")}}) == "scan: h = a ⊙ h + b");
  // fo: c first, then h = o ⊙ c_t (masked, as the sample is: h_t = m ? b : h_{t-1}).
  CHECK(scan_check(r, "qrnn") == "scan: c = a ⊙ c + b; then h = b");
  CHECK(scan_check(test_cells(), "sru2017") == "scan: c = a ⊙ c + b; then h = b");
  CHECK(scan_check(test_cells(), "affine_sink") ==
        "scan: h = a ⊙ h + b, c = a ⊙ c + b; then d = d + b, e = b; then the output");
  // This repository's SRU reads c_{t-1} inside its gates (v_f ⊙ c): not linear in c.
  CHECK(scan_check(r, "sru") ==
        "no scan: c: sigmoid of a value that depends on c (c is not a linear recurrence)");
  CHECK(scan_check(r, "indrnn") ==
        "no scan: h: relu of a value that depends on h (h is not a linear recurrence)");
  CHECK(scan_check(r, "lstm") == "no scan: not diagonal (the step has a GEMM)");
  CHECK(scan_check(test_cells(), "reducing").find("no scan: step uses an op") == 0);
  CHECK(compiler::scan_pays(1, 4096, 2));
  CHECK(!compiler::scan_pays(1, 4096, 1));   // one thread: nothing to gain
  CHECK(!compiler::scan_pays(2, 4096, 2));   // the rows keep both threads busy
  CHECK(!compiler::scan_pays(1, 100, 2));    // too short to split
}

TEST_CASE("step compiler scan: every linear recurrence conforms (scan == composed to 1e-12 with "
          "masks and the stateful carry), the others are skipped with the reason"
          * doctest::test_suite("gradcheck")) {
  for (const Scannable& s : scannable()) {
    const ConformanceReport rep = run_conformance(*s.reg, s.cell, s.params);
    INFO(s.cell << ": " << conformance_table(rep));
    CHECK(rep.passed());
    const ConformanceCheck* c = find_check(rep, "scan == composed");
    REQUIRE(c);
    CHECK(c->detail.find("skipped") == std::string::npos);
    CHECK(c->detail.find("scan: ") != std::string::npos);
  }
  for (const char* cell : {"sru", "indrnn", "lstm"}) {
    const ConformanceReport rep = run_conformance(builtin_cells(), cell, {});
    INFO(cell << ": " << conformance_table(rep));
    CHECK(rep.passed());
    const ConformanceCheck* c = find_check(rep, "scan == composed");
    REQUIRE(c);
    CHECK(c->detail.find("skipped: not scanned: ") == 0);
  }
}

TEST_CASE("step compiler scan: a long masked sequence in many chunks equals composed (f64, "
          "1e-12: values, final states and every gradient)" * doctest::test_suite("gradcheck")) {
  const int64_t T = 203, B = 3;  // 64 chunks of 3-4 steps
  const Tensor x = rand_tensor({T, B, 3}, DType::f64, 5);
  for (const Scannable& s : scannable())
    for (bool masked : {false, true}) {
      INFO(s.cell << (masked ? ", masked" : ""));
      const std::vector<int32_t> lengths =
          masked ? std::vector<int32_t>{203, 130, 1} : std::vector<int32_t>{};
      Layer scan(*s.reg, s.cell, s.params, RecurrentPath::scan, DType::f64);
      Layer composed(*s.reg, s.cell, s.params, RecurrentPath::composed, DType::f64);
      const auto a = pass(scan, x, lengths);
      CHECK(scan.rnn->path_used() == "scan");
      CHECK(scan.rnn->path_note().empty());
      const auto b = pass(composed, x, lengths);
      CHECK(max_rel(b, a) <= 1e-12);
    }
}

TEST_CASE("step compiler scan: f32 agrees with the plain compiled path, and each path reports "
          "what ran") {
  const Tensor x = rand_tensor({300, 2, 3}, DType::f32, 6);
  for (const Scannable& s : scannable()) {
    INFO(s.cell);
    Layer scan(*s.reg, s.cell, s.params, RecurrentPath::scan, DType::f32);
    Layer compiled(*s.reg, s.cell, s.params, RecurrentPath::compiled, DType::f32);
    const auto a = pass(scan, x, {300, 77});
    const auto b = pass(compiled, x, {300, 77});
    CHECK(scan.rnn->path_used() == "scan");
    CHECK(compiled.rnn->path_used() == "compiled");
    CHECK(max_rel(b, a) < 1e-4);
  }
  // Asked for a scan, a step that is not a linear recurrence runs compiled, saying why.
  Layer sru(builtin_cells(), "sru", {}, RecurrentPath::scan, DType::f32);
  pass(sru, x, {});
  CHECK(sru.rnn->path_used() == "compiled");
  CHECK(sru.rnn->path_note() ==
        "not scanned: c: sigmoid of a value that depends on c (c is not a linear recurrence)");
  CHECK(parse_path("scan") == RecurrentPath::scan);
}

TEST_SUITE_END();
